/*
  TradeGuard starter rules: web pages sent as attachments.
  Original rules written for TradeGuard.
*/

rule TG_HTML_Smuggling_Script
{
    meta:
        description = "Web page script that assembles a file in the browser and offers it as a download"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1027/006/"
    strings:
        $script = "<script" nocase ascii
        $b1 = "atob(" ascii
        $b2 = "new Blob(" ascii
        $b3 = "createObjectURL" ascii
        $b4 = "msSaveOrOpenBlob" ascii
        $b5 = "Uint8Array" ascii
        $b6 = "fromCharCode" ascii
        $save1 = /\.download\s*=/ ascii
        $save2 = /\sdownload\s*=\s*["']/ nocase ascii
        $save3 = ".click()" ascii
    condition:
        filesize < 20MB and $script and ($b2 or $b3 or $b4) and ($b1 or $b5 or $b6)
        and any of ($save*)
}

rule TG_Phishing_Kit_Credential_Form
{
    meta:
        description = "Log-in form that posts the password to a PHP script or a Telegram bot"
        author = "TradeGuard"
        reference = "https://attack.mitre.org/techniques/T1566/001/"
    strings:
        $pw = /type\s*=\s*["']?password/ nocase ascii
        $php = /action\s*=\s*["'][^"'>]{0,300}\.php/ nocase ascii
        $tg1 = "api.telegram.org/bot" nocase ascii
        $tg2 = "sendMessage?chat_id" nocase ascii
        $post = /\$\.(post|ajax)\s*\(\s*\{?\s*["']?(url|https?:)/ nocase ascii
        $fetch = /fetch\s*\(\s*["']https?:\/\/[^"']{0,200}\.php/ nocase ascii
    condition:
        filesize < 10MB and $pw and any of ($php, $tg1, $tg2, $post, $fetch)
}
