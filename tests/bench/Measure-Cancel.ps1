<#
.SYNOPSIS
How long Ctrl+C takes to stop a call that waits out a Retry-After: by PowerShell.Stop() in-process,
and by a real SIGINT to a pwsh process, each next to Start-Sleep stopped the same way.

.DESCRIPTION
Runs in a fresh PowerShell started by Invoke-Benchmarks.ps1, against a Graph emulator already
running as its own process. Before each measured call the emulator is told to answer the next Graph
request with 429 and `Retry-After: 30`, so the call is waiting out the throttle when it is stopped.

  stop     [powershell]::Create() runs Get-PhotoUpdatePolicy in a runspace of this process; after
           -WaitMs this thread calls Stop() and times it. Baseline: Start-Sleep -Seconds 30 stopped
           the same way (what PowerShell's own cancellation costs here).
  sigint   a child pwsh (-NonInteractive -File) runs Get-PhotoUpdatePolicy inside try/finally; after
           -WaitMs the parent sends SIGINT (`kill -INT`, as a terminal's Ctrl+C does) and measures
           to the child's finally block (its Stopwatch timestamp: both processes read the same
           monotonic clock) and to the child's exit. Baseline: Start-Sleep -Seconds 30 in the same
           child script. Linux and macOS only (Windows has no SIGINT to send to another console);
           the figures say so when skipped.
Writes its figures as JSON to -OutFile.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    [Parameter(Mandatory)] [string] $TenantId,
    [Parameter(Mandatory)] [string] $OutFile,
    [int] $Runs = 7,
    [int] $WaitMs = 1500
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'BenchStats.ps1')

# The suite's token for -TenantId (Invoke-Benchmarks.ps1 sets it; the child pwsh inherits it).
$token = $env:PUP_BENCH_TOKEN
if (-not $token) { throw 'PUP_BENCH_TOKEN (an emulator access token) is not set.' }
$manifest = Join-Path $ModuleFolder 'PhotoUpdatePolicy.psd1'
$ticksToMs = 1000.0 / [System.Diagnostics.Stopwatch]::Frequency

function Add-Throttle {
    Invoke-RestMethod -Method Delete -Uri "$EmulatorUrl/_emulator/faults" | Out-Null
    $fault = @{ route = 'graph'; kind = 'throttle'; retryAfterSeconds = 30; count = 1 } | ConvertTo-Json -Compress
    Invoke-RestMethod -Method Post -Uri "$EmulatorUrl/_emulator/faults" -ContentType 'application/json' -Body $fault | Out-Null
}

# --- Stop() in this process ----------------------------------------------------------------------
$iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
$iss.ImportPSModule(@($manifest))
$runspace = [runspacefactory]::CreateRunspace($iss)
$runspace.Open()
$secure = ConvertTo-SecureString $token -AsPlainText -Force
$getParameters = @{ TenantId = $TenantId; AccessToken = $secure; GraphEndpoint = $EmulatorUrl; AllowInsecureLoopback = $true }

function Measure-Stop([string] $Case) {
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    if ($Case -eq 'cmdlet') {
        Add-Throttle
        $null = $ps.AddCommand('Get-PhotoUpdatePolicy').AddParameters($getParameters)
    } else {
        $null = $ps.AddCommand('Start-Sleep').AddParameter('Seconds', 30)
    }
    $async = $ps.BeginInvoke()
    Start-Sleep -Milliseconds $WaitMs
    if ($ps.InvocationStateInfo.State -ne 'Running') { throw "The $Case call was not running after $WaitMs ms (state $($ps.InvocationStateInfo.State))." }
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $ps.Stop()
    $ms = $sw.Elapsed.TotalMilliseconds
    try { $null = $ps.EndInvoke($async) } catch { $null = $_ }
    $state = "$($ps.InvocationStateInfo.State)"
    $ps.Dispose()
    if ($state -ne 'Stopped') { throw "The $Case call ended as $state, not Stopped." }
    $ms
}

# One unmeasured round each: the module's first call (native runtime, TLS) is not what is measured.
$null = Measure-Stop 'cmdlet'; $null = Measure-Stop 'sleep'
$stopCmdlet = [System.Collections.Generic.List[double]]::new()
$stopSleep = [System.Collections.Generic.List[double]]::new()
for ($i = 0; $i -lt $Runs; $i++) {
    $stopCmdlet.Add((Measure-Stop 'cmdlet'))
    $stopSleep.Add((Measure-Stop 'sleep'))
}
$runspace.Dispose()

# --- SIGINT to a pwsh process ------------------------------------------------------------------

$sigint = [ordered]@{}
$kill = Get-Command kill -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
if ($IsWindows -or -not $kill) {
    $sigint.skipped = 'no SIGINT on this platform (Windows) or no kill command'
} else {
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-cancel-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $work
    $child = Join-Path $work 'child.ps1'
    # The child prints READY when the measured command is about to start and, from its finally
    # block, the monotonic timestamp at which the stopped command handed control back.
    Set-Content -LiteralPath $child -Encoding utf8 -Value @'
param([string] $Case, [string] $Manifest, [string] $Url, [string] $TenantId)
Import-Module $Manifest
$t = ConvertTo-SecureString $env:PUP_BENCH_TOKEN -AsPlainText -Force
# A first call, so the native runtime and the connection exist before the measured one.
$null = Get-PhotoUpdatePolicy -TenantId $TenantId -AccessToken $t -GraphEndpoint $Url -AllowInsecureLoopback
# The parent arms the throttle for the measured call only, then says go.
[Console]::Out.WriteLine('WARM'); [Console]::Out.Flush()
$null = [Console]::In.ReadLine()
[Console]::Out.WriteLine('READY'); [Console]::Out.Flush()
try {
    if ($Case -eq 'cmdlet') { $null = Get-PhotoUpdatePolicy -TenantId $TenantId -AccessToken $t -GraphEndpoint $Url -AllowInsecureLoopback }
    else { Start-Sleep -Seconds 30 }
    [Console]::Out.WriteLine('NOT STOPPED')
} finally {
    [Console]::Out.WriteLine('STOPPED ' + [System.Diagnostics.Stopwatch]::GetTimestamp()); [Console]::Out.Flush()
}
'@
    $pwsh = @(Get-PwshCommand)
    function Measure-Sigint([string] $Case) {
        $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $child, $Case, $manifest, $EmulatorUrl, $TenantId)) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $p = [System.Diagnostics.Process]::Start($psi)
        try {
            $errTask = $p.StandardError.ReadToEndAsync()
            $line = $p.StandardOutput.ReadLine()
            if ($line -ne 'WARM') { throw "The child did not start ($line): $($errTask.Result)" }
            if ($Case -eq 'cmdlet') { Add-Throttle }
            $p.StandardInput.WriteLine('go'); $p.StandardInput.Flush()
            $line = $p.StandardOutput.ReadLine()
            if ($line -ne 'READY') { throw "The child did not go on ($line): $($errTask.Result)" }
            Start-Sleep -Milliseconds $WaitMs
            $sent = [System.Diagnostics.Stopwatch]::GetTimestamp()
            & $kill.Source -INT $p.Id
            $stoppedLine = $p.StandardOutput.ReadLine()
            $null = $p.WaitForExit(30000)
            $exited = [System.Diagnostics.Stopwatch]::GetTimestamp()
            if ($stoppedLine -notmatch '^STOPPED (\d+)$') { throw "The $Case child was not stopped by SIGINT (printed '$stoppedLine'): $($errTask.Result)" }
            [ordered]@{
                toFinallyMs = ([long]$Matches[1] - $sent) * $ticksToMs
                toExitMs    = ($exited - $sent) * $ticksToMs
            }
        } finally {
            if (-not $p.HasExited) { $p.Kill() }
            $p.Dispose()
        }
    }
    $results = @{ cmdlet = [System.Collections.Generic.List[object]]::new(); sleep = [System.Collections.Generic.List[object]]::new() }
    try {
        for ($i = 0; $i -le $Runs; $i++) {
            foreach ($case in 'cmdlet', 'sleep') {
                Invoke-RestMethod -Method Delete -Uri "$EmulatorUrl/_emulator/faults" | Out-Null
                $r = Measure-Sigint $case
                if ($i -gt 0) { $results[$case].Add($r) } # round 0 is unmeasured (disk cache, JIT)
            }
        }
    } finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    foreach ($case in 'cmdlet', 'sleep') {
        $sigint[$case] = [ordered]@{
            toFinally = Get-BenchStats @($results[$case] | ForEach-Object { $_.toFinallyMs })
            toExit    = Get-BenchStats @($results[$case] | ForEach-Object { $_.toExitMs })
        }
    }
}

$doc = [ordered]@{
    runs   = $Runs
    waitMs = $WaitMs
    stop   = [ordered]@{ cmdlet = Get-BenchStats $stopCmdlet.ToArray(); sleep = Get-BenchStats $stopSleep.ToArray() }
    sigint = $sigint
}
$doc | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $OutFile -Encoding utf8
