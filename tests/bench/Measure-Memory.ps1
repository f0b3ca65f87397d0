<#
.SYNOPSIS
What the module costs in memory: the process's working set before Import-Module, after it, and
every 500 calls over 10,000 warm Get-PhotoUpdatePolicy calls; the slope over the last 5,000.
With -Caller InvokeRestMethod: the same loop with Invoke-RestMethod and no module (reference).
With -Caller GetDate: the same loop with Get-Date and no module: what PowerShell itself adds for
10,000 commands that do no I/O at all (the floor under any module's figure).

.DESCRIPTION
Runs in a fresh PowerShell started by Invoke-Benchmarks.ps1 against a Graph emulator that is already
running as its own process; the token comes from PUP_BENCH_TOKEN. The working set is the whole
process (managed heap, the native library, its tokio runtime and HTTP pool). The managed heap is
reported too (GC.GetTotalMemory after a collection at each sample) to tell managed growth from
native growth. Writes JSON to -OutFile.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    [Parameter(Mandatory)] [string] $OutFile,
    [int] $Calls = 10000,
    [int] $SampleEvery = 500,
    # InvokeRestMethod: the same loop with Invoke-RestMethod and no module imported, the reference
    # for what PowerShell's own loop costs in memory.
    # GetDate: the same loop with Get-Date (a built-in cmdlet, no I/O) and no module: PowerShell's
    # own floor for running 10,000 commands.
    [ValidateSet('Cmdlet', 'InvokeRestMethod', 'GetDate')]
    [string] $Caller = 'Cmdlet'
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'BenchStats.ps1')

$token = $env:PUP_BENCH_TOKEN
if (-not $token) { throw 'PUP_BENCH_TOKEN (an emulator access token) is not set.' }
$process = [System.Diagnostics.Process]::GetCurrentProcess()
$mb = 1MB

function Get-Sample([int] $CallsDone) {
    # A full collection first, so a sample shows what is kept, not garbage waiting for a GC.
    [System.GC]::Collect()
    [System.GC]::WaitForPendingFinalizers()
    [System.GC]::Collect()
    $process.Refresh()
    [ordered]@{
        calls           = $CallsDone
        workingSetMB    = [math]::Round($process.WorkingSet64 / $mb, 3)
        privateMB       = [math]::Round($process.PrivateMemorySize64 / $mb, 3)
        managedHeapMB   = [math]::Round([System.GC]::GetTotalMemory($false) / $mb, 3)
    }
}

# The measuring code itself warms up before the baseline (Stopwatch, GC, Process).
$null = Get-Sample 0
$before = Get-Sample 0
if ($Caller -eq 'Cmdlet') {
    Import-Module (Join-Path $ModuleFolder 'PhotoUpdatePolicy.psd1') -ErrorAction Stop
}
$afterImport = Get-Sample 0
$policyUrl = "$EmulatorUrl/beta/admin/people/photoUpdateSettings"
$headers = @{ Authorization = "Bearer $token" }

$samples = [System.Collections.Generic.List[object]]::new()
$sw = [System.Diagnostics.Stopwatch]::StartNew()
for ($i = 1; $i -le $Calls; $i++) {
    if ($Caller -eq 'Cmdlet') {
        $null = Get-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback
    } elseif ($Caller -eq 'GetDate') {
        $null = Get-Date
    } else {
        $null = Invoke-RestMethod -Uri $policyUrl -Headers $headers
    }
    if ($i % $SampleEvery -eq 0) { $samples.Add((Get-Sample $i)) }
}
$elapsed = $sw.Elapsed.TotalSeconds

$last = @($samples | Where-Object { $_.calls -ge $Calls / 2 })
$x = [double[]]@($last | ForEach-Object { $_.calls })
$slopeWs = (Get-Slope -X $x -Y ([double[]]@($last | ForEach-Object { $_.workingSetMB }))) * 1000
$slopeHeap = (Get-Slope -X $x -Y ([double[]]@($last | ForEach-Object { $_.managedHeapMB }))) * 1000
$end = $samples[$samples.Count - 1]

[ordered]@{
    caller                                = $Caller
    calls                                 = $Calls
    sampleEvery                           = $SampleEvery
    seconds                               = [math]::Round($elapsed, 2)
    beforeImport                          = $before
    afterImport                           = $afterImport
    samples                               = $samples
    addedByImportMB                       = [math]::Round($afterImport.workingSetMB - $before.workingSetMB, 3)
    addedAtEndMB                          = [math]::Round($end.workingSetMB - $before.workingSetMB, 3)
    workingSetSlopeLastHalfMBPer1000Calls = [math]::Round($slopeWs, 4)
    managedHeapSlopeLastHalfMBPer1000Calls = [math]::Round($slopeHeap, 4)
} | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $OutFile -Encoding utf8
