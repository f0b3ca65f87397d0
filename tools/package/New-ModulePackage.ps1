<#
.SYNOPSIS
Packs the assembled module folder into a .nupkg that Install-PSResource and Install-Module accept.

.DESCRIPTION
Takes out/PhotoUpdatePolicy (assembled by build.ps1), checks it, and writes
out/packages/PhotoUpdatePolicy.<version>.nupkg with Compress-PSResource (PSResourceGet, inbox in
PowerShell 7.4+), the same packer Publish-PSResource uses, so no repository has to be registered.

Checks, each failing with a message that says what to fix:
  - one version everywhere: root Cargo.toml [workspace.package] version = manifest ModuleVersion =
    the version of lib/net6.0 and lib/net472 PhotoUpdatePolicy.dll = the package's nuspec version;
  - the manifest's PrivateData.PSData has the required Tags, LicenseUri and ProjectUri;
  - the help is there (en-US/PhotoUpdatePolicy.dll-Help.xml and about_PhotoUpdatePolicy.help.txt);
  - at least one native library under runtimes/<rid>/native/ (all of them are listed).
ReleaseNotes come from CHANGELOG.md (the section of this version) and are stamped into the staged
copy of the manifest, so the changelog stays the one place release notes are written. The module
folder itself is not modified.

.EXAMPLE
./tools/package/New-ModulePackage.ps1 -ModuleFolder out/PhotoUpdatePolicy -OutputFolder out/packages
#>
[CmdletBinding()]
param(
    [string] $ModuleFolder = (Join-Path $PSScriptRoot '../../out/PhotoUpdatePolicy'),
    [string] $OutputFolder = (Join-Path $PSScriptRoot '../../out/packages'),
    # Also require every native library of a full release (CI's assembled folder).
    [switch] $RequireAllPlatforms
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$moduleName = 'PhotoUpdatePolicy'
$requiredTags = @('Microsoft365', 'EntraID', 'AzureAD', 'Graph', 'ProfilePhoto', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
$allRids = @('win-x64', 'win-arm64', 'linux-x64', 'linux-arm64', 'osx-arm64', 'osx-x64')
$repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath

function Fail([string] $Message) { throw "New-ModulePackage: $Message" }

function Get-CargoVersion {
    # The [workspace.package] table's version: the one version number of the project.
    $inTable = $false
    foreach ($line in [System.IO.File]::ReadAllLines((Join-Path $repo 'Cargo.toml'))) {
        if ($line -match '^\s*\[(.+)\]\s*$') { $inTable = ($Matches[1] -eq 'workspace.package'); continue }
        if ($inTable -and $line -match '^\s*version\s*=\s*"([^"]+)"') { return $Matches[1] }
    }
    Fail 'Cargo.toml has no [workspace.package] version.'
}

function Get-ReleaseNotes([string] $Version) {
    # The CHANGELOG.md section "## [<version>]" up to the next "## " heading.
    $path = Join-Path $repo 'CHANGELOG.md'
    if (-not (Test-Path -LiteralPath $path)) { Fail "CHANGELOG.md not found at $path." }
    $lines = [System.IO.File]::ReadAllLines($path)
    $start = -1
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -match ('^## \[' + [regex]::Escape($Version) + '\]')) { $start = $i; break }
    }
    if ($start -lt 0) { Fail "CHANGELOG.md has no '## [$Version]' section: write the release notes of $Version there." }
    $body = New-Object System.Collections.Generic.List[string]
    for ($i = $start + 1; $i -lt $lines.Count -and $lines[$i] -notmatch '^## '; $i++) { $body.Add($lines[$i]) }
    $text = ($body -join "`n").Trim()
    if (-not $text) { Fail "CHANGELOG.md's section for $Version is empty." }
    $text
}

if (-not (Get-Command Compress-PSResource -ErrorAction SilentlyContinue)) {
    Fail 'Compress-PSResource (Microsoft.PowerShell.PSResourceGet 1.1+) is not available: run this with PowerShell 7.4+ (dotnet pwsh).'
}
$ModuleFolder = (Resolve-Path -LiteralPath $ModuleFolder -ErrorAction Stop).ProviderPath
$manifestPath = Join-Path $ModuleFolder "$moduleName.psd1"
if (-not (Test-Path -LiteralPath $manifestPath)) { Fail "$manifestPath not found: assemble the module first (build.ps1 -Task Build)." }

$version = Get-CargoVersion
# Not Import-PowerShellDataFile: the manifest picks its root module by $PSEdition.
. (Join-Path $PSScriptRoot '../Read-ModuleManifest.ps1')
$manifest = Read-ModuleManifest -Path $manifestPath
if ($manifest.ModuleVersion -ne $version) { Fail "the manifest says ModuleVersion '$($manifest.ModuleVersion)' but Cargo.toml [workspace.package] says '$version'." }
foreach ($tfm in 'net6.0', 'net472') {
    $dll = Join-Path $ModuleFolder "lib/$tfm/$moduleName.dll"
    if (-not (Test-Path -LiteralPath $dll)) { Fail "$dll is missing." }
    $asmVersion = [System.Reflection.AssemblyName]::GetAssemblyName($dll).Version
    $asm3 = '{0}.{1}.{2}' -f $asmVersion.Major, $asmVersion.Minor, $asmVersion.Build
    if ($asm3 -ne ($version -replace '-.*$', '')) { Fail "lib/$tfm/$moduleName.dll has assembly version $asmVersion, Cargo.toml says $version." }
}

$psData = $null
if ($manifest.ContainsKey('PrivateData') -and $manifest.PrivateData.ContainsKey('PSData')) { $psData = $manifest.PrivateData.PSData }
if (-not $psData) { Fail 'the manifest has no PrivateData.PSData.' }
$tags = @()
if ($psData.ContainsKey('Tags')) { $tags = @($psData.Tags) }
$missingTags = @($requiredTags | Where-Object { $tags -notcontains $_ })
if ($missingTags) { Fail "the manifest's PrivateData.PSData.Tags lacks: $($missingTags -join ', ') (required: $($requiredTags -join ', '))." }
foreach ($key in 'LicenseUri', 'ProjectUri') {
    if (-not $psData.ContainsKey($key) -or -not ([string]$psData[$key] -match '^https://')) { Fail "the manifest's PrivateData.PSData.$key is missing or not an https:// URL." }
}

foreach ($help in "en-US/$moduleName.dll-Help.xml", 'en-US/about_PhotoUpdatePolicy.help.txt') {
    if (-not (Test-Path -LiteralPath (Join-Path $ModuleFolder $help))) { Fail "$help is missing from the module folder: run tools/help/Build-Help.ps1 -ModuleFolder '$ModuleFolder'." }
}
$natives = @(Get-ChildItem -Path (Join-Path $ModuleFolder 'runtimes') -Recurse -File -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -eq 'native' })
if (-not $natives) { Fail 'no native library under runtimes/<rid>/native/.' }
$rids = @($natives | ForEach-Object { $_.Directory.Parent.Name } | Sort-Object -Unique)
if ($RequireAllPlatforms) {
    $missingRids = @($allRids | Where-Object { $rids -notcontains $_ })
    if ($missingRids) { Fail "native libraries missing for: $($missingRids -join ', ')." }
}

# Stage a copy: the release notes go into the staged manifest only.
$stage = Join-Path ([System.IO.Path]::GetTempPath()) ("pup-package-" + [guid]::NewGuid().ToString('N'))
$staged = Join-Path $stage $moduleName
try {
    New-Item -ItemType Directory -Force -Path $stage | Out-Null
    Copy-Item -LiteralPath $ModuleFolder -Destination $staged -Recurse
    $notes = Get-ReleaseNotes $version
    $stagedManifest = Join-Path $staged "$moduleName.psd1"
    $text = [System.IO.File]::ReadAllText($stagedManifest)
    if ($psData.ContainsKey('ReleaseNotes')) {
        if (([string]$psData.ReleaseNotes).Trim() -ne $notes) { Fail "the manifest's ReleaseNotes differ from CHANGELOG.md's $version section: drop them from the manifest (this script stamps them) or make them equal." }
    } else {
        # A single-quoted PowerShell string: only ' needs escaping.
        $literal = "'" + ($notes -replace "'", "''") + "'"
        $newText = [regex]::Replace($text, '(PSData\s*=\s*@\{)', { param($m) $m.Groups[1].Value + "`n            ReleaseNotes = $literal" }, 'IgnoreCase')
        if ($newText -eq $text) { Fail 'could not find PSData = @{ in the manifest to add ReleaseNotes.' }
        [System.IO.File]::WriteAllText($stagedManifest, $newText)
    }
    $check = Test-ModuleManifest -Path $stagedManifest -ErrorAction Stop
    if ([string]$check.ReleaseNotes -ne $notes) { Fail 'the staged manifest does not carry the release notes.' }

    New-Item -ItemType Directory -Force -Path $OutputFolder | Out-Null
    $OutputFolder = (Resolve-Path -LiteralPath $OutputFolder).ProviderPath
    $nupkg = Join-Path $OutputFolder "$moduleName.$version.nupkg"
    Remove-Item -LiteralPath $nupkg -ErrorAction SilentlyContinue
    Compress-PSResource -Path $staged -DestinationPath $OutputFolder
    if (-not (Test-Path -LiteralPath $nupkg)) { Fail "Compress-PSResource did not write $nupkg." }

    # Read back what was packed: the nuspec's version and the files a user needs.
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
    try {
        $entries = @($zip.Entries | ForEach-Object { $_.FullName -replace '\\', '/' })
        $nuspecEntry = $zip.Entries | Where-Object { $_.FullName -like '*.nuspec' } | Select-Object -First 1
        $reader = New-Object System.IO.StreamReader($nuspecEntry.Open())
        try { [xml]$nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
    } finally { $zip.Dispose() }
    $packedVersion = $nuspec.package.metadata.version
    if ($packedVersion -ne $version) { Fail "the package's nuspec says version '$packedVersion', Cargo.toml says '$version'." }
    foreach ($need in "$moduleName.psd1", "lib/net6.0/$moduleName.dll", "lib/net472/$moduleName.dll", "en-US/$moduleName.dll-Help.xml") {
        if ($entries -notcontains $need) { Fail "the package lacks $need." }
    }
    Write-Host "Packed $nupkg (version $version; native: $($rids -join ', '))."
    Get-Item -LiteralPath $nupkg
} finally {
    Remove-Item -LiteralPath $stage -Recurse -Force -ErrorAction SilentlyContinue
}
