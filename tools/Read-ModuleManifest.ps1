# Read-ModuleManifest: the data of PhotoUpdatePolicy.psd1 as PowerShell of a given edition sees it.
#
# The manifest picks its root module and minimum version with `if ($PSEdition -eq 'Core')`, which
# Import-PowerShellDataFile refuses (it evaluates literals only). This reads it the way Import-Module
# does: restricted language (no commands, no other variables), with $PSEdition set to the edition
# asked for, so a script can check both the PowerShell 7 and the Windows PowerShell 5.1 view on
# any machine. Dot-source it: . ./tools/Read-ModuleManifest.ps1
function Read-ModuleManifest {
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [ValidateSet('Core', 'Desktop')] [string] $Edition = 'Core'
    )
    $text = Get-Content -LiteralPath $Path -Raw
    # $PSEdition is a constant in a real session: the edition goes in as a literal instead.
    $text = $text -replace '\$PSEdition\b', "'$Edition'"
    $block = [scriptblock]::Create($text)
    # Same rules as a module manifest: data language only, no variables, no commands.
    $block.CheckRestrictedLanguage([string[]]@(), [string[]]@(), $false)
    $data = & $block
    if ($data -isnot [hashtable]) { throw "$Path does not evaluate to a hashtable." }
    $data
}
