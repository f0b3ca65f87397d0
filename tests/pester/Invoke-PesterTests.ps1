<#
.SYNOPSIS
Runs the Pester tests against an assembled module folder (build.ps1 -Task Test calls this in a
fresh pwsh, so the module is imported the way a user imports it).

.DESCRIPTION
Writes the counts as JSON to -CountsFile for build.ps1's summary and an NUnit report to
-ResultFile. Exit code 0 only when every test passed.
#>
[CmdletBinding()]
param(
    # Pester.psd1 of Pester 6.2.0 (restored from NuGet by tests/tools/Pester).
    [Parameter(Mandatory)] [string] $PesterModule,
    # The assembled module folder (out/PhotoUpdatePolicy).
    [Parameter(Mandatory)] [string] $ModuleFolder,
    # The graph-emulator executable.
    [Parameter(Mandatory)] [string] $EmulatorPath,
    [string] $CountsFile,
    [string] $ResultFile,
    # Runs only tests whose full name matches (e.g. '*Cancel*'), for development.
    [string[]] $FullNameFilter
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterModule -Force

# The test files read these (they run in Pester's own scopes).
$env:PHOTOPOLICY_TEST_MODULE = (Resolve-Path -LiteralPath $ModuleFolder).ProviderPath
$env:PHOTOPOLICY_TEST_EMULATOR = (Resolve-Path -LiteralPath $EmulatorPath).ProviderPath
# The defaults from the environment must not leak into tests that check the parameters.
Remove-Item Env:PHOTOPOLICY_GRAPH_ENDPOINT, Env:PHOTOPOLICY_ALLOW_INSECURE_LOOPBACK -ErrorAction SilentlyContinue

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($FullNameFilter) { $config.Filter.FullName = $FullNameFilter }
if ($ResultFile) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $ResultFile
}

$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
if ($CountsFile) {
    [pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount } |
        ConvertTo-Json | Set-Content -LiteralPath $CountsFile -Encoding utf8
}
if ($failed -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
exit 0
