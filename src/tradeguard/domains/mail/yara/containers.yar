/*
  TradeGuard starter rules: shortcuts, notebooks, packed programs and device profiles.
  Original rules written for TradeGuard.
*/

rule TG_LNK_Launches_Shell
{
    meta:
        description = "Windows shortcut whose target or arguments start a command shell or script host"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1204/002/"
    strings:
        $cmd = "cmd.exe" nocase ascii wide
        $ps = "powershell" nocase ascii wide
        $mshta = "mshta" nocase ascii wide
        $wscript = "wscript" nocase ascii wide
        $cscript = "cscript" nocase ascii wide
        $rundll = "rundll32" nocase ascii wide
        $regsvr = "regsvr32" nocase ascii wide
        $conhost = "conhost" nocase ascii wide
    condition:
        uint32(0) == 0x0000004C and uint32(4) == 0x00021401 and filesize < 2MB and any of them
}

rule TG_OneNote_Embedded_Script_Or_Program
{
    meta:
        description = "OneNote notebook with an embedded file that is a program or a script"
        author = "TradeGuard"
        reference = "https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-onestore/"
    strings:
        // FileDataStoreObject header GUID {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}
        $embedded = { E7 16 E3 BD 65 26 11 45 A4 C4 8D 4D 0B 7A 9E AC }
        $mz = { 4D 5A 90 00 }
        $s1 = "<script" nocase ascii wide
        $s2 = "<HTA:APPLICATION" nocase ascii wide
        $s3 = "powershell" nocase ascii wide
        $s4 = "WScript.Shell" nocase ascii wide
        $s5 = "@echo off" nocase ascii wide
        $s6 = "cmd /c" nocase ascii wide
    condition:
        uint32be(0) == 0xE4525C7B and uint32be(4) == 0x8CD8A74D and $embedded
        and ($mz or any of ($s*))
}

rule TG_PE_Packed_UPX
{
    meta:
        description = "Windows program compressed with UPX, common for malware hiding its code"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1027/002/"
    strings:
        $upx0 = "UPX0" ascii
        $upx1 = "UPX1" ascii
        $upx_magic = "UPX!" ascii
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
        and (($upx0 and $upx1) or $upx_magic)
}

rule TG_Apple_Profile_Adds_Account
{
    meta:
        description = "Apple configuration profile that adds a mail, calendar, contacts or VPN account or a root certificate"
        author = "TradeGuard"
        reference = "https://developer.apple.com/documentation/devicemanagement/profile-specific_payload_keys"
    strings:
        $type = "<key>PayloadType</key>" ascii
        $p1 = "com.apple.mail.managed" ascii
        $p2 = "com.apple.caldav.account" ascii
        $p3 = "com.apple.carddav.account" ascii
        $p4 = "com.apple.eas.account" ascii
        $p5 = "com.apple.vpn.managed" ascii
        $p6 = "com.apple.security.root" ascii
        $p7 = "com.apple.subscribedcalendar.account" ascii
    condition:
        filesize < 2MB and $type and any of ($p*)
}
