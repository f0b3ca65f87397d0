<#
.SYNOPSIS
Builds the module's help: cmdlet markdown (docs/help/*.md) -> MAML, plus the about topics.

.DESCRIPTION
Default: writes <ModuleFolder>/en-US/PhotoUpdatePolicy.dll-Help.xml from the markdown and copies
docs/about/about_*.help.txt next to it. PowerShell finds help for a binary module's cmdlets in the
module folder's culture folder (en-US/), and about topics there too (verified with Get-Help on
PowerShell 7.6.9: the root, en-US/, and the assembly's folder and its en-US/ all work; en-US/ at the
module root is the one Windows PowerShell 5.1 and 7 share, and where about topics must be).

-Check fails (exit 1) when:
  - a markdown file is malformed, incomplete or its SYNTAX section disagrees with its parameters;
  - an about topic is malformed;
  - the committed MAML (docs/help/en-US/PhotoUpdatePolicy.dll-Help.xml) differs from what the
    markdown generates (run with -UpdateCommitted to refresh it, then commit);
  - the module in -ModuleFolder is importable and one of its cmdlets has no markdown, or a markdown
    file disagrees with the loaded cmdlet (parameter missing, extra, or with another type, position,
    required flag, pipeline input, aliases or accepted values). Cmdlets the module does not export
    yet are reported and skipped.
Import-Module runs in this session, so call the script in a fresh pwsh (build.ps1 does).

-UpdateMarkdown imports the module and rewrites from the loaded cmdlets everything that is not
prose: each parameter's yaml block (type, sets, aliases, accepted values, the accepted range, length
or count from [ValidateRange]/[ValidateLength]/[ValidateCount], required, position, default value,
pipeline input, wildcards), the SYNTAX section, the OUTPUTS types ([OutputType]) with a
'Properties: ...' line for the module's own types, and `online version:`. Descriptions are kept;
new parameters and output types get a placeholder that -Check rejects until someone writes the text.
A default applied elsewhere than the property's initial value is declared on the property with
[PSDefaultValue(Value = ...)] or [PSDefaultValue(Help = "...")], and read from there.

Examples: ```powershell blocks are the code; an ```output block right after it is what the code
prints, and tests/pester/HelpExamples.Tests.ps1 runs every example against the Graph emulator and
compares (its runner describes the seeded tenant the examples see). An example that cannot run
there carries <!-- not run: reason --> and is reported as skipped with that reason.

The default (build) run also writes the files Update-Help downloads to -UpdatableHelpFolder
(<Module>_<GUID>_HelpInfo.xml and the en-US HelpContent .zip and .cab); publishing them at the manifest's
HelpInfoUri (the GitHub release's assets) makes Update-Help find the help.

.EXAMPLE
./tools/help/Build-Help.ps1 -ModuleFolder out/PhotoUpdatePolicy -Check
#>
[CmdletBinding(DefaultParameterSetName = 'Build')]
param(
    # The assembled module folder (holds PhotoUpdatePolicy.psd1).
    [string] $ModuleFolder = (Join-Path $PSScriptRoot '../../out/PhotoUpdatePolicy'),
    # Verify instead of (only) building; exit code 1 on any problem.
    [Parameter(ParameterSetName = 'Check')] [switch] $Check,
    # Rewrite the committed MAML copy from the markdown.
    [Parameter(ParameterSetName = 'UpdateCommitted')] [switch] $UpdateCommitted,
    # Rewrite the markdown's parameter metadata and syntax from the loaded cmdlets.
    [Parameter(ParameterSetName = 'UpdateMarkdown')] [switch] $UpdateMarkdown,
    # Where the build writes the files Update-Help downloads (publish them at the manifest's HelpInfoUri).
    [string] $UpdatableHelpFolder = (Join-Path (Split-Path -Parent $ModuleFolder) 'updatable-help')
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot 'HelpMarkdown.psm1') -Force
$repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
$helpDir = Join-Path $repo 'docs/help'
$aboutDir = Join-Path $repo 'docs/about'
$committedMaml = Join-Path $helpDir 'en-US/PhotoUpdatePolicy.dll-Help.xml'
$mamlName = 'PhotoUpdatePolicy.dll-Help.xml'
$moduleName = 'PhotoUpdatePolicy'

$problems = New-Object System.Collections.Generic.List[string]
$helps = @(Get-ChildItem -LiteralPath $helpDir -Filter '*.md' | Sort-Object Name | ForEach-Object {
        try { Read-HelpMarkdown -Path $_.FullName } catch { $problems.Add($_.Exception.Message) }
    })
$maml = ConvertTo-HelpMaml -Help $helps
$abouts = @(Get-ChildItem -LiteralPath $aboutDir -Filter 'about_*.help.txt' | Sort-Object Name)

function Get-LoadedModule {
    $manifest = Join-Path $ModuleFolder "$moduleName.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) { return $null }
    Import-Module $manifest -Force -ErrorAction Stop -PassThru | Where-Object Name -eq $moduleName
}

switch ($PSCmdlet.ParameterSetName) {
    'UpdateCommitted' {
        if ($problems.Count) { $problems | ForEach-Object { Write-Error $_ -ErrorAction Continue }; exit 1 }
        New-Item -ItemType Directory -Force (Split-Path $committedMaml) | Out-Null
        [System.IO.File]::WriteAllText($committedMaml, $maml)
        Write-Host "Wrote $committedMaml from $($helps.Count) markdown files."
        exit 0
    }
    'UpdateMarkdown' {
        $module = Get-LoadedModule
        if (-not $module) { throw "No module to read cmdlets from: '$ModuleFolder' holds no $moduleName.psd1. Build the module first." }
        foreach ($h in $helps) {
            $cmd = Get-Command -Module $moduleName -Name $h.Name -ErrorAction SilentlyContinue
            if ($cmd) { Update-HelpMarkdown -Path $h.Path -Command $cmd; Write-Host "Updated $($h.File) from the loaded cmdlet." }
            else { Update-HelpMarkdown -Path $h.Path; Write-Host "$($h.Name) is not exported yet: only its SYNTAX section was re-rendered." }
        }
        foreach ($cmd in (Get-Command -Module $moduleName -CommandType Cmdlet)) {
            if (-not ($helps | Where-Object Name -eq $cmd.Name)) { Write-Warning "$($cmd.Name) has no docs/help/$($cmd.Name).md: write one (copy a neighbour's layout)." }
        }
        exit 0
    }
    'Check' {
        foreach ($h in $helps) { foreach ($p in @(Test-HelpMarkdown -Help $h)) { $problems.Add($p) } }
        foreach ($a in $abouts) { foreach ($p in @(Test-AboutTopic -Path $a.FullName)) { $problems.Add($p) } }
        if (-not (Test-Path -LiteralPath $committedMaml)) {
            $problems.Add("The committed MAML $committedMaml is missing: run tools/help/Build-Help.ps1 -UpdateCommitted and commit it.")
        } else {
            $committed = [System.IO.File]::ReadAllText($committedMaml) -replace "`r`n", "`n"
            if ($committed -ne $maml) {
                $problems.Add("docs/help/en-US/$mamlName differs from what docs/help/*.md generates: run tools/help/Build-Help.ps1 -UpdateCommitted and commit it.")
            }
        }
        $module = Get-LoadedModule
        if ($module) {
            $exported = @(Get-Command -Module $moduleName -CommandType Cmdlet)
            foreach ($h in $helps) {
                $cmd = $exported | Where-Object Name -eq $h.Name
                if (-not $cmd) { Write-Host "SKIP $($h.Name) (issue $($h.FrontMatter['issue'])): not exported by the module yet; its help cannot be compared." ; continue }
                foreach ($p in @(Compare-HelpWithCommand -Help $h -Command $cmd)) { $problems.Add($p) }
            }
            foreach ($cmd in $exported) {
                if (-not ($helps | Where-Object Name -eq $cmd.Name)) { $problems.Add("$($cmd.Name) is exported but has no docs/help/$($cmd.Name).md.") }
            }
        } else {
            Write-Host "No module at '$ModuleFolder': markdown was not compared with the cmdlets."
        }
        if ($problems.Count) {
            foreach ($p in $problems) { Write-Host "HELP PROBLEM: $p" }
            Write-Host "$($problems.Count) help problem(s)."
            exit 1
        }
        Write-Host "Help is consistent: $($helps.Count) cmdlet help files, $($abouts.Count) about topics."
    }
}

if ($problems.Count) { $problems | ForEach-Object { Write-Error $_ -ErrorAction Continue }; exit 1 }
if (Test-Path -LiteralPath $ModuleFolder) {
    $culture = Join-Path $ModuleFolder 'en-US'
    New-Item -ItemType Directory -Force $culture | Out-Null
    [System.IO.File]::WriteAllText((Join-Path $culture $mamlName), $maml)
    foreach ($a in $abouts) { Copy-Item -LiteralPath $a.FullName -Destination $culture -Force }
    Write-Host "Help written to $culture ($($helps.Count) cmdlets, $($abouts.Count) about topics)."
    $manifestPath = Join-Path $ModuleFolder "$moduleName.psd1"
    if (-not $Check -and (Test-Path -LiteralPath $manifestPath)) {
        $manifest = Test-ModuleManifest -Path $manifestPath -ErrorAction Stop
        if (-not $manifest.HelpInfoUri) { throw "$manifestPath has no HelpInfoUri: Update-Help would find nothing." }
        $files = New-UpdatableHelp -ModuleName $moduleName -Guid $manifest.Guid -Version $manifest.Version -HelpInfoUri $manifest.HelpInfoUri `
            -CultureFolder $culture -Destination $UpdatableHelpFolder
        Write-Host "Updatable help for $($manifest.HelpInfoUri) written to $UpdatableHelpFolder ($(@($files | ForEach-Object Name) -join ', '))."
    }
} elseif (-not $Check) {
    throw "Module folder '$ModuleFolder' does not exist: assemble the module first (build.ps1 -Task Build)."
}
