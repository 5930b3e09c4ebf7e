/*
  TradeGuard starter rules: script droppers seen as mail attachments.
  Original rules written for TradeGuard; they match text, not behaviour, so expect to tune them.
*/

rule TG_PowerShell_Download_Cradle
{
    meta:
        description = "PowerShell that downloads something and runs it straight from memory"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1059/001/"
    strings:
        $ps = "powershell" nocase ascii wide
        $dl1 = "DownloadString" nocase ascii wide
        $dl2 = "DownloadData" nocase ascii wide
        $dl3 = "DownloadFile" nocase ascii wide
        $dl4 = "Invoke-WebRequest" nocase ascii wide
        $dl5 = "Net.WebClient" nocase ascii wide
        $dl6 = "Start-BitsTransfer" nocase ascii wide
        $dl7 = "Invoke-RestMethod" nocase ascii wide
        $run1 = "Invoke-Expression" nocase ascii wide
        $run2 = /\bIEX\s*[\(\$]/ nocase ascii
        $run3 = "Start-Process" nocase ascii wide
        $run4 = "| iex" nocase ascii wide
    condition:
        filesize < 10MB and $ps and any of ($dl*) and any of ($run*)
}

rule TG_PowerShell_Encoded_Command
{
    meta:
        description = "PowerShell started with a Base64-encoded command line that hides what it does"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1027/010/"
    strings:
        $enc = /powershell(\.exe)?["']?[^\r\n]{0,120}\s[-\/]e(c|n|nc|nco|ncod|ncode|ncodedcommand)?\s+["']?[A-Za-z0-9+\/]{40,}/ nocase ascii
    condition:
        filesize < 10MB and $enc
}

rule TG_VBA_AutoExec_Shell
{
    meta:
        description = "Macro or VBScript source that runs on open and starts a program or a shell object"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1204/002/"
    strings:
        $auto1 = /Sub\s+(Auto_?Open|AutoExec|AutoClose|Document_Open|Document_Close|Workbook_Open)\b/ nocase ascii
        $auto2 = /Sub\s+Workbook_BeforeClose\b/ nocase ascii
        $run1 = /\bShell\s*\(?\s*["A-Za-z]/ nocase ascii
        $run2 = "WScript.Shell" nocase ascii
        $run3 = "Shell.Application" nocase ascii
        $run4 = /CreateObject\s*\(\s*"(MSXML2\.XMLHTTP|WinHttp\.WinHttpRequest|Scripting\.FileSystemObject)/ nocase ascii
        $run5 = /\.(Run|Exec|ShellExecute)\s*\(?\s*["A-Za-z]/ ascii
    condition:
        filesize < 10MB and any of ($auto*) and any of ($run*)
}

rule TG_JavaScript_Obfuscation
{
    meta:
        description = "JavaScript that rebuilds hidden code from character codes or long escape sequences"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1027/"
    strings:
        $eval = /\beval\s*\(/ ascii
        $func = /new\s+Function\s*\(/ ascii
        $chr = "fromCharCode" ascii
        $unescape = /\bunescape\s*\(/ ascii
        $hex = /(\\x[0-9a-fA-F]{2}){32}/ ascii
        $uni = /(\\u[0-9a-fA-F]{4}){32}/ ascii
    condition:
        filesize < 10MB and ($eval or $func) and ($chr or $unescape or $hex or $uni)
}
