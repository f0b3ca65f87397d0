<#
.SYNOPSIS
The benchmark suite (issue #8): every figure measured next to its baseline in the same run, written
to bench-results/results.json and bench-results/results.md.

.DESCRIPTION
Normally run through the build script, which builds the release module first:

    dotnet pwsh -NoProfile -File ./build.ps1 -Task Bench

Figures (docs/performance.md explains each):
  import   pwsh -NoProfile -c "Import-Module <module>" minus pwsh -NoProfile -c exit (median of 20,
           interleaved), plus an empty module's import as the floor PowerShell itself sets.
  calls    one warm Get-PhotoUpdatePolicy vs Invoke-RestMethod with the same token and URL in the
           same session (median and p90 of 1,000 each), first vs warm calls.
  raw      PolicyClient::get and a plain reqwest loop in Rust (core/benches/raw_client.rs) against
           the same emulator; cmdlet minus raw client = what the C ABI, C# and PowerShell add.
  set      a Set-PhotoUpdatePolicy that changes nothing: Graph requests counted in the emulator log.
  fleet    core/benches/fleet_bench.rs (1,000 tenants, 25 ms added latency) vs the ideal time.
  memory   working set before Import-Module, after 10,000 calls, and its slope over the last 5,000;
           the same loop with Invoke-RestMethod, and with Get-Date (no I/O: PowerShell's floor).
  access   Get-PhotoUpdateAccess on a tenant with 5,000 role assignments over 50 pages at 25 ms
           added latency, vs a raw Invoke-RestMethod paging loop over the same pages (Measure-Access.ps1).
  cancel   Ctrl+C while a Get waits out `Retry-After: 30`: PowerShell.Stop() in-process and a real
           SIGINT to a pwsh process, each next to Start-Sleep stopped the same way (Measure-Cancel.ps1).
  size     the module folder on disk (this platform's native library only).

The Graph emulator runs as its own process (target/release/graph-emulator --port 0). Benchmarks are
not tests: this script fails only when a figure cannot be measured, never because a goal is missed
(results.md says pass or fail per goal).
#>
[CmdletBinding()]
param(
    # The assembled module folder (build.ps1 -Task Build writes out/PhotoUpdatePolicy).
    [string] $ModuleFolder = (Join-Path $PSScriptRoot '../../out/PhotoUpdatePolicy'),
    # The release Graph emulator.
    [string] $EmulatorPath,
    # Where results.json and results.md go.
    [string] $OutDir = (Join-Path $PSScriptRoot '../../bench-results'),
    # Fewer repetitions (a smoke run of the suite itself; figures are not comparable).
    [switch] $Quick,
    # Skip the fleet bench (it takes the longest); its row then says why.
    [switch] $SkipFleet
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'BenchStats.ps1')

$Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$ModuleFolder = (Resolve-Path $ModuleFolder).Path
if (-not $EmulatorPath) {
    $EmulatorPath = Join-Path $Root ("target/release/graph-emulator" + $(if ($IsWindows) { '.exe' } else { '' }))
}
$null = New-Item -ItemType Directory -Force -Path $OutDir
$OutDir = (Resolve-Path $OutDir).Path
$work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-bench-' + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $work

$importRuns = if ($Quick) { 5 } else { 20 }
$callCount = if ($Quick) { 200 } else { 1000 }
$accessAssignments = if ($Quick) { 500 } else { 5000 }
$memoryCalls = if ($Quick) { 2000 } else { 10000 }
$memoryEvery = if ($Quick) { 200 } else { 500 }
$TenantId = 'b8000000-0000-4000-8000-000000000008'

Import-Module (Join-Path $Root 'tests/pester/GraphEmulator.psm1') -Force

function Write-Step([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

$Pwsh = @(Get-PwshCommand)
$PwshExe = $Pwsh[0]
$PwshPrefix = @($Pwsh | Select-Object -Skip 1)

function Invoke-ChildScript([string] $Script, [string[]] $Arguments) {
    & $PwshExe @PwshPrefix -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot $Script) @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Script failed with exit code $LASTEXITCODE." }
}

function Invoke-CargoBench([string] $Bench, [string] $OutFile) {
    Push-Location $Root
    try {
        $lines = & cargo bench -p photo_policy_core --bench $Bench -- $OutFile 2>&1 | ForEach-Object { "$_" }
        $code = $LASTEXITCODE
    } finally {
        Pop-Location
    }
    $lines | Where-Object { $_ -notmatch '^\s*(Compiling|Blocking|warning: .*panic. setting is ignored)' } | ForEach-Object { Write-Host "   $_" }
    if ($code -ne 0) { throw "cargo bench --bench $Bench failed with exit code $code." }
    Get-Content -LiteralPath $OutFile -Raw | ConvertFrom-Json
}

function Get-Environment {
    $commit = (& git -C $Root rev-parse HEAD 2>$null)
    $dirty = [bool](& git -C $Root status --porcelain --untracked-files=no 2>$null)
    $load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg -Raw).Trim() } else { $null }
    $cpu = if (Test-Path /proc/cpuinfo) {
        (Get-Content /proc/cpuinfo | Where-Object { $_ -match '^model name' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
    } else { $env:PROCESSOR_IDENTIFIER }
    [ordered]@{
        dateUtc          = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
        commit           = $commit
        workingTreeDirty = $dirty
        cpuCount         = [Environment]::ProcessorCount
        cpu              = $cpu
        os               = [System.Runtime.InteropServices.RuntimeInformation]::OSDescription
        architecture     = "$([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture)"
        pwshVersion      = "$($PSVersionTable.PSVersion)"
        dotnetRuntime    = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription
        rustc            = (& rustc --version 2>$null)
        loadAverage      = $load
        quick            = [bool]$Quick
    }
}

# --- import cost -------------------------------------------------------------------------------
function Measure-Import {
    Write-Step "Import cost: $importRuns fresh pwsh processes per case, interleaved"
    # PowerShell's own first Import-Module costs something whatever the module: an empty manifest
    # module shows that floor.
    $emptyDir = Join-Path $work 'EmptyModule'
    $null = New-Item -ItemType Directory -Force -Path $emptyDir
    Set-Content -LiteralPath (Join-Path $emptyDir 'EmptyModule.psd1') -Encoding utf8 -Value "@{ ModuleVersion = '1.0.0'; GUID = 'a4b0a9e5-55c1-4a43-9a43-0c1f9b8d2a11'; FunctionsToExport = @(); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }"
    $cases = [ordered]@{
        bare   = 'exit'
        module = "Import-Module '$ModuleFolder'"
        empty  = "Import-Module '$emptyDir'"
    }
    $times = @{}
    foreach ($k in $cases.Keys) { $times[$k] = [System.Collections.Generic.List[double]]::new() }
    $sw = [System.Diagnostics.Stopwatch]::new()
    # One unmeasured round: disk cache and the dotnet host warm for every case alike.
    foreach ($k in $cases.Keys) { & $PwshExe @PwshPrefix -NoProfile -NonInteractive -Command $cases[$k] }
    for ($i = 0; $i -lt $importRuns; $i++) {
        foreach ($k in $cases.Keys) {
            $sw.Restart()
            & $PwshExe @PwshPrefix -NoProfile -NonInteractive -Command $cases[$k]
            $elapsed = $sw.Elapsed.TotalMilliseconds
            if ($LASTEXITCODE -ne 0) { throw "pwsh -c `"$($cases[$k])`" failed with exit code $LASTEXITCODE." }
            $times[$k].Add($elapsed)
        }
    }
    # Inside the process: Import-Module alone, timed by a Stopwatch in the child (less noise than
    # whole processes; shows where the added time goes).
    $inProcess = [System.Collections.Generic.List[double]]::new()
    $probe = "`$sw = [System.Diagnostics.Stopwatch]::StartNew(); Import-Module '$ModuleFolder'; [Console]::Out.Write(`$sw.Elapsed.TotalMilliseconds.ToString([cultureinfo]::InvariantCulture))"
    $emptyInProcess = [System.Collections.Generic.List[double]]::new()
    $emptyProbe = $probe.Replace($ModuleFolder, $emptyDir)
    for ($i = 0; $i -lt [math]::Min(10, $importRuns); $i++) {
        $inProcess.Add([double](& $PwshExe @PwshPrefix -NoProfile -NonInteractive -Command $probe))
        $emptyInProcess.Add([double](& $PwshExe @PwshPrefix -NoProfile -NonInteractive -Command $emptyProbe))
    }
    $bare = Get-BenchStats $times['bare'].ToArray()
    $module = Get-BenchStats $times['module'].ToArray()
    $empty = Get-BenchStats $times['empty'].ToArray()
    [ordered]@{
        runs                     = $importRuns
        barePwsh                 = $bare
        withModule               = $module
        withEmptyModule          = $empty
        addedMs                  = [math]::Round($module.medianMs - $bare.medianMs, 2)
        emptyModuleAddedMs       = [math]::Round($empty.medianMs - $bare.medianMs, 2)
        addedOverEmptyModuleMs   = [math]::Round($module.medianMs - $empty.medianMs, 2)
        inProcessImportModule    = Get-BenchStats $inProcess.ToArray()
        inProcessImportEmpty     = Get-BenchStats $emptyInProcess.ToArray()
    }
}

# --- size ----------------------------------------------------------------------------------------
function Measure-Size {
    Write-Step "Size of $ModuleFolder"
    $files = Get-ChildItem -LiteralPath $ModuleFolder -Recurse -File
    $total = ($files | Measure-Object Length -Sum).Sum
    $native = $files | Where-Object { $_.FullName -match '[\\/]runtimes[\\/]' }
    [ordered]@{
        bytes       = [long]$total
        mb          = [math]::Round($total / 1MB, 3)
        files       = $files.Count
        nativeBytes = [long](($native | Measure-Object Length -Sum).Sum)
        largest     = @($files | Sort-Object Length -Descending | Select-Object -First 5 | ForEach-Object {
                [ordered]@{ path = $_.FullName.Substring($ModuleFolder.Length + 1).Replace('\', '/'); bytes = $_.Length }
            })
    }
}

function Format-Ms([double] $v) { '{0:N3} ms' -f $v }
function Format-Result([bool] $ok) { if ($ok) { 'pass' } else { '**fail**' } }

# --- run -----------------------------------------------------------------------------------------
$environment = Get-Environment
$figures = [ordered]@{}
$emulator = $null
$total = [System.Diagnostics.Stopwatch]::StartNew()
try {
    $figures.size = Measure-Size
    $figures.import = Measure-Import

    Write-Step "Graph emulator ($EmulatorPath, its own process)"
    $emulator = Start-GraphEmulator -Path $EmulatorPath
    $token = New-EmulatorToken -Emulator $emulator -TenantId $TenantId -AsPlainText
    Set-EmulatorPolicy -Emulator $emulator -TenantId $TenantId -Policy @{ source = 'cloud' }
    Write-Host "   $($emulator.Url)"
    $env:PUP_BENCH_TOKEN = $token
    try {
        Write-Step "Calls: Get-PhotoUpdatePolicy vs Invoke-RestMethod ($callCount each, fresh pwsh)"
        $callsFile = Join-Path $work 'calls.json'
        Invoke-ChildScript 'Measure-Calls.ps1' @('-ModuleFolder', $ModuleFolder, '-EmulatorUrl', $emulator.Url,
            '-TenantId', $TenantId, '-OutFile', $callsFile, '-Calls', $callCount)
        $figures.calls = Get-Content -LiteralPath $callsFile -Raw | ConvertFrom-Json

        Write-Step "Raw Rust client: PolicyClient::get vs plain reqwest ($callCount each)"
        $env:PUP_BENCH_GRAPH_URL = $emulator.Url
        $env:PUP_BENCH_CALLS = "$callCount"
        try {
            $figures.raw = Invoke-CargoBench 'raw_client' (Join-Path $work 'raw.json')
        } finally {
            Remove-Item Env:PUP_BENCH_GRAPH_URL, Env:PUP_BENCH_CALLS -ErrorAction SilentlyContinue
        }

        Write-Step "Access: Get-PhotoUpdateAccess over $accessAssignments role assignments, 50 pages, 25 ms latency vs a raw paging loop (fresh pwsh)"
        $accessFile = Join-Path $work 'access.json'
        Invoke-ChildScript 'Measure-Access.ps1' @('-ModuleFolder', $ModuleFolder, '-EmulatorUrl', $emulator.Url,
            '-TenantId', 'b8000000-0000-4000-8000-000000000016', '-OutFile', $accessFile, '-Assignments', $accessAssignments)
        $figures.access = Get-Content -LiteralPath $accessFile -Raw | ConvertFrom-Json

        Write-Step "Cancellation: Stop() and SIGINT during a Retry-After wait, next to Start-Sleep (fresh pwsh)"
        $cancelFile = Join-Path $work 'cancel.json'
        Invoke-ChildScript 'Measure-Cancel.ps1' @('-ModuleFolder', $ModuleFolder, '-EmulatorUrl', $emulator.Url,
            '-TenantId', $TenantId, '-OutFile', $cancelFile, '-Runs', $(if ($Quick) { 2 } else { 7 }))
        $figures.cancel = Get-Content -LiteralPath $cancelFile -Raw | ConvertFrom-Json

        Write-Step "Memory: $memoryCalls calls, a sample every $memoryEvery (fresh pwsh)"
        $memoryFile = Join-Path $work 'memory.json'
        Invoke-ChildScript 'Measure-Memory.ps1' @('-ModuleFolder', $ModuleFolder, '-EmulatorUrl', $emulator.Url,
            '-OutFile', $memoryFile, '-Calls', $memoryCalls, '-SampleEvery', $memoryEvery)
        $figures.memory = Get-Content -LiteralPath $memoryFile -Raw | ConvertFrom-Json
        Write-Step "Memory reference: the same loop with Invoke-RestMethod, no module (fresh pwsh)"
        $memoryIrmFile = Join-Path $work 'memory-irm.json'
        Invoke-ChildScript 'Measure-Memory.ps1' @('-ModuleFolder', $ModuleFolder, '-EmulatorUrl', $emulator.Url,
            '-OutFile', $memoryIrmFile, '-Calls', $memoryCalls, '-SampleEvery', $memoryEvery, '-Caller', 'InvokeRestMethod')
        $figures.memoryInvokeRestMethod = Get-Content -LiteralPath $memoryIrmFile -Raw | ConvertFrom-Json
        Write-Step "Memory floor: the same loop with Get-Date (no I/O), no module (fresh pwsh)"
        $memoryDateFile = Join-Path $work 'memory-getdate.json'
        Invoke-ChildScript 'Measure-Memory.ps1' @('-ModuleFolder', $ModuleFolder, '-EmulatorUrl', $emulator.Url,
            '-OutFile', $memoryDateFile, '-Calls', $memoryCalls, '-SampleEvery', $memoryEvery, '-Caller', 'GetDate')
        $figures.memoryGetDate = Get-Content -LiteralPath $memoryDateFile -Raw | ConvertFrom-Json
    } finally {
        Remove-Item Env:PUP_BENCH_TOKEN -ErrorAction SilentlyContinue
        Stop-GraphEmulator $emulator
        $emulator = $null
    }

    $fleetBench = Join-Path $Root 'core/benches/fleet_bench.rs'
    if ($SkipFleet) {
        $figures.fleet = [ordered]@{ pending = 'skipped with -SkipFleet' }
    } elseif (-not (Test-Path -LiteralPath $fleetBench)) {
        $figures.fleet = [ordered]@{ pending = 'core/benches/fleet_bench.rs (issue #6) is not in this tree' }
    } else {
        Write-Step 'Fleet: core/benches/fleet_bench.rs (1,000 tenants, 25 ms latency; emulator in its process)'
        $figures.fleet = Invoke-CargoBench 'fleet_bench' (Join-Path $work 'fleet.json')
    }
} finally {
    if ($emulator) { Stop-GraphEmulator $emulator }
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
$environment.loadAverageAtEnd = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg -Raw).Trim() } else { $null }
$environment.suiteSeconds = [math]::Round($total.Elapsed.TotalSeconds, 1)

# --- goals ---------------------------------------------------------------------------------------
$c = $figures.calls
$speedup = $c.invokeRestMethod.medianMs / $c.cmdlet.medianMs
$overRaw = $c.cmdlet.medianMs - $figures.raw.policyClientGet.medianMs
$fleetRuns = @(if ($figures.fleet.PSObject.Properties['runs']) { $figures.fleet.runs })
$fleetWarm = $fleetRuns | Select-Object -Last 1
$m = $figures.memory
$memAdded = $m.addedAtEndMB
$memFlat = [math]::Abs($m.workingSetSlopeLastHalfMBPer1000Calls) -le 0.1
$goals = [ordered]@{
    import      = [ordered]@{ goal = 'under 50 ms added (median of 20)'; value = $figures.import.addedMs; pass = $figures.import.addedMs -lt 50 }
    warmGet     = [ordered]@{ goal = 'at least 2x faster than Invoke-RestMethod (median)'; value = [math]::Round($speedup, 3); pass = $speedup -ge 2 }
    overRaw     = [ordered]@{ goal = 'cmdlet - PolicyClient::get under 0.3 ms (medians)'; value = [math]::Round($overRaw, 4); pass = $overRaw -lt 0.3 }
    setNoChange = [ordered]@{ goal = 'exactly one HTTP request'; value = $c.setNoChange.requests; pass = $c.setNoChange.requests -eq 1 }
    fleet       = [ordered]@{ goal = 'within 1.3x of ideal'; value = $(if ($fleetWarm) { [math]::Round($fleetWarm.ratio, 3) } else { $null }); pass = $(if ($fleetWarm) { $fleetWarm.ratio -le 1.3 } else { $null }) }
    memory      = [ordered]@{ goal = 'under 30 MB added, flat over the last half (|slope| <= 0.1 MB per 1,000 calls)'; value = $memAdded; pass = ($memAdded -lt 30) -and $memFlat }
    size        = [ordered]@{ goal = 'under 8 MB'; value = $figures.size.mb; pass = $figures.size.bytes -lt 8MB }
    access      = [ordered]@{ goal = 'a few seconds (under 5 s, median)'; value = [math]::Round($figures.access.cmdlet.medianMs / 1000, 3); pass = $figures.access.cmdlet.medianMs -lt 5000 }
    cancel      = [ordered]@{ goal = 'Ctrl+C stops a waiting call within 200 ms (Stop() median)'; value = [math]::Round($figures.cancel.stop.cmdlet.medianMs, 2); pass = $figures.cancel.stop.cmdlet.medianMs -lt 200 }
}

$doc = [ordered]@{ suite = 'PhotoUpdatePolicy benchmarks (issue #8)'; environment = $environment; goals = $goals; figures = $figures }
$doc | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath (Join-Path $OutDir 'results.json') -Encoding utf8

# --- markdown ------------------------------------------------------------------------------------
$i = $figures.import
$r = $figures.raw
$md = [System.Collections.Generic.List[string]]::new()
$md.Add('# Benchmark results')
$md.Add('')
$md.Add("Measured $($environment.dateUtc) on $($environment.cpuCount) CPUs ($($environment.cpu)), $($environment.os), PowerShell $($environment.pwshVersion), commit ``$("$($environment.commit)".Substring(0, [math]::Min(12, "$($environment.commit)".Length)))``$(if ($environment.workingTreeDirty) { ' (with uncommitted changes)' }), load average $($environment.loadAverage) at the start. Release build; Graph emulator as its own process on loopback. Reproduce: ``dotnet pwsh -NoProfile -File ./build.ps1 -Task Bench``.")
if ($Quick) { $md.Add(''); $md.Add('**Quick run (fewer repetitions): not comparable with a full run.**') }
$md.Add('')
$md.Add('| figure | measured | baseline (same run) | comparison | goal | result |')
$md.Add('|---|---|---|---|---|---|')
$md.Add("| import cost (median of $($i.runs) fresh processes) | $('{0:N0}' -f $i.withModule.medianMs) ms with Import-Module | $('{0:N0}' -f $i.barePwsh.medianMs) ms bare ``pwsh -c exit`` | **+$('{0:N1}' -f $i.addedMs) ms** (empty module: +$('{0:N1}' -f $i.emptyModuleAddedMs) ms) | < 50 ms added | $(Format-Result $goals.import.pass) |")
$md.Add("| warm Get-PhotoUpdatePolicy (median of $($c.calls); p90) | $(Format-Ms $c.cmdlet.medianMs) (p90 $(Format-Ms $c.cmdlet.p90Ms)) | Invoke-RestMethod $(Format-Ms $c.invokeRestMethod.medianMs) (p90 $(Format-Ms $c.invokeRestMethod.p90Ms)) | **$('{0:N2}' -f $speedup)x** faster | >= 2x | $(Format-Result $goals.warmGet.pass) |")
$md.Add("| cmdlet over the raw Rust client (medians) | cmdlet $(Format-Ms $c.cmdlet.medianMs) | PolicyClient::get $(Format-Ms $r.policyClientGet.medianMs) (plain reqwest $(Format-Ms $r.plainReqwest.medianMs)) | **+$(Format-Ms $overRaw)** per call | < 0.3 ms | $(Format-Result $goals.overRaw.pass) |")
$md.Add("| Set that changes nothing | $($c.setNoChange.requests) request ($($c.setNoChange.methods -join ', ')) | (a Set that changes something: $($c.setWithChange.requests): $($c.setWithChange.methods -join ', ')) | - | exactly 1 | $(Format-Result $goals.setNoChange.pass) |")
$a = $figures.access
$md.Add("| Get-PhotoUpdateAccess: $($a.assignments) role assignments over $($a.pages) pages, $($a.latencyMs) ms latency (median of $($a.runs)) | $('{0:N3}' -f ($a.cmdlet.medianMs / 1000)) s | raw Invoke-RestMethod paging loop over the same pages $('{0:N3}' -f ($a.rawPaging.medianMs / 1000)) s | **$('{0:N2}' -f ($a.cmdlet.medianMs / $a.rawPaging.medianMs))x** the pages alone (it also reads eligibilities, the other roles and the apps) | < 5 s | $(Format-Result $goals.access.pass) |")
$k = $figures.cancel
$sigText = if ($k.sigint.PSObject.Properties['cmdlet']) {
    "; SIGINT to pwsh: $(Format-Ms $k.sigint.cmdlet.toFinally.medianMs) to the script's ``finally`` (p90 $(Format-Ms $k.sigint.cmdlet.toFinally.p90Ms)), $(Format-Ms $k.sigint.cmdlet.toExit.medianMs) to process exit"
} else { "; SIGINT not measured: $($k.sigint.skipped)" }
$sigBase = if ($k.sigint.PSObject.Properties['sleep']) {
    "; SIGINT: $(Format-Ms $k.sigint.sleep.toFinally.medianMs) to ``finally``, $(Format-Ms $k.sigint.sleep.toExit.medianMs) to exit"
} else { '' }
$md.Add("| Ctrl+C during a ``Retry-After: 30`` wait (median of $($k.runs)) | Stop() returned in $(Format-Ms $k.stop.cmdlet.medianMs) (p90 $(Format-Ms $k.stop.cmdlet.p90Ms))$sigText | Start-Sleep 30 stopped the same way: Stop() $(Format-Ms $k.stop.sleep.medianMs)$sigBase | $('{0:+0.000;-0.000;0.000}' -f ($k.stop.cmdlet.medianMs - $k.stop.sleep.medianMs)) ms against PowerShell's own Stop() (medians) | < 200 ms | $(Format-Result $goals.cancel.pass) |")
if ($fleetWarm) {
    $md.Add("| fleet: $($fleetWarm.tenants) tenants, $($fleetWarm.latencyMs) ms latency, concurrency $($fleetWarm.concurrency) (warm) | $('{0:N3}' -f $fleetWarm.measuredSeconds) s | ideal $('{0:N3}' -f $fleetWarm.idealSeconds) s | **$('{0:N2}' -f $fleetWarm.ratio)x** ideal | <= 1.3x | $(Format-Result $goals.fleet.pass) |")
} else {
    $md.Add("| fleet: 1,000 tenants, 25 ms latency | pending | - | - | <= 1.3x | pending: $($figures.fleet.pending) |")
}
$mi = $figures.memoryInvokeRestMethod
$md0 = $figures.memoryGetDate
$md.Add("| memory: module loaded + $($m.calls) calls | +$('{0:N1}' -f $memAdded) MB working set; slope over the last half $('{0:N3}' -f $m.workingSetSlopeLastHalfMBPer1000Calls) MB per 1,000 calls | $('{0:N1}' -f $m.beforeImport.workingSetMB) MB before Import-Module | import alone +$('{0:N1}' -f $m.addedByImportMB) MB; the same loop with Invoke-RestMethod and no module: +$('{0:N1}' -f $mi.addedAtEndMB) MB, slope $('{0:N3}' -f $mi.workingSetSlopeLastHalfMBPer1000Calls); with Get-Date (no I/O, PowerShell's floor): +$('{0:N1}' -f $md0.addedAtEndMB) MB, slope $('{0:N3}' -f $md0.workingSetSlopeLastHalfMBPer1000Calls) | < 30 MB, flat | $(Format-Result $goals.memory.pass) |")
$md.Add("| module folder on disk ($($environment.architecture), one platform) | $('{0:N2}' -f $figures.size.mb) MB ($($figures.size.files) files; native library $('{0:N2}' -f ($figures.size.nativeBytes / 1MB)) MB) | - | - | < 8 MB | $(Format-Result $goals.size.pass) |")
$md.Add('')
$md.Add('## First call vs warm call')
$md.Add('')
$md.Add('| path | first call | second call | warm median |')
$md.Add('|---|---|---|---|')
$md.Add("| Get-PhotoUpdatePolicy (native runtime, TLS set-up, connection on the first) | $(Format-Ms $c.firstCalls.cmdletFirstMs) | $(Format-Ms $c.firstCalls.cmdletSecondMs) | $(Format-Ms $c.cmdlet.medianMs) |")
$md.Add("| Invoke-RestMethod | $(Format-Ms $c.firstCalls.invokeRestMethodFirstMs) | $(Format-Ms $c.firstCalls.invokeRestMethodSecondMs) | $(Format-Ms $c.invokeRestMethod.medianMs) |")
if ($c.PSObject.Properties['oneOffClientSecret']) {
    $o = $c.oneOffClientSecret
    $md.Add("| Get-PhotoUpdatePolicy -ClientSecret on every call (one-off sign-in parameters; the module keeps the signed-in client: $($o.signInRequests) sign-in request(s) in $($o.calls) calls) | $(Format-Ms $o.firstCallMs) | - | $(Format-Ms $o.warm.medianMs) |")
}
$md.Add("| PolicyClient::get, access token (Rust) | $(Format-Ms $r.firstCallMs) | - | $(Format-Ms $r.policyClientGet.medianMs) |")
if ($r.clientSecret.PSObject.Properties['firstCallMs']) {
    $md.Add("| PolicyClient::get, client secret (sign-in on the first call, cached token after: $($r.clientSecret.signInRequestsDuringWarmCalls) sign-in requests in $($r.clientSecret.warm.count) warm calls) | $(Format-Ms $r.clientSecret.firstCallMs) | - | $(Format-Ms $r.clientSecret.warm.medianMs) |")
}
$md.Add('')
if ($null -ne $r.PSObject.Properties['rssAfterCallsMiB'] -and $null -ne $r.rssAfterCallsMiB) {
    $md.Add("Native side alone (the Rust raw client process): $('{0:N1}' -f $r.rssBeforeFirstCallMiB) MiB resident before its first call, $('{0:N1}' -f $r.rssAfterCallsMiB) MiB after $($r.calls * 2 + 2 * $r.warmUpCalls) calls.")
    $md.Add('')
}
$md.Add("Client creation (PolicyClient::new: a cmdlet's first call with given sign-in parameters; later ones reuse the client): $('{0:N4}' -f $r.clientNew.medianMs) ms median. Import-Module timed inside the process: $('{0:N1}' -f $i.inProcessImportModule.medianMs) ms (an empty module: $('{0:N1}' -f $i.inProcessImportEmpty.medianMs) ms).")
if ($fleetRuns.Count -gt 1) {
    $md.Add('')
    $md.Add('## Fleet runs (in order)')
    $md.Add('')
    $md.Add('| run | ideal | measured | ratio | RSS after |')
    $md.Add('|---|---|---|---|---|')
    foreach ($f in $fleetRuns) {
        $md.Add("| $($f.operation), concurrency $($f.concurrency) | $('{0:N3}' -f $f.idealSeconds) s | $('{0:N3}' -f $f.measuredSeconds) s | $('{0:N2}' -f $f.ratio) | $(if ($f.rssKiB) { '{0:N1} MB' -f ($f.rssKiB / 1024) } else { 'n/a' }) |")
    }
}
$md.Add('')
$md.Add("Suite time: $($environment.suiteSeconds) s; load average at the end $($environment.loadAverageAtEnd). Details, per-sample memory and all percentiles: results.json.")
$md | Set-Content -LiteralPath (Join-Path $OutDir 'results.md') -Encoding utf8

# README.md quotes the measurement line and the goals table (between its bench markers), so the
# figures users read are always the latest run's. A -Quick run or another -OutDir leaves it alone.
$readme = Join-Path $Root 'README.md'
$defaultOut = (Resolve-Path (Join-Path $PSScriptRoot '../../bench-results') -ErrorAction SilentlyContinue)
if (-not $Quick -and $defaultOut -and $OutDir -eq $defaultOut.Path -and (Test-Path -LiteralPath $readme)) {
    $tableEnd = $md.IndexOf('## First call vs warm call')
    $quoted = ($md.GetRange(2, $tableEnd - 2) -join "`n").Trim()
    $text = [System.IO.File]::ReadAllText($readme)
    $pattern = '(?s)(<!-- bench:start[^>]*-->\r?\n).*?(<!-- bench:end -->)'
    if ($text -match $pattern) {
        $updated = [regex]::Replace($text, $pattern, { param($match) $match.Groups[1].Value + $quoted + "`n" + $match.Groups[2].Value })
        [System.IO.File]::WriteAllText($readme, $updated)
        Write-Host "README.md: performance table updated."
    } else {
        Write-Warning 'README.md has no bench:start/bench:end markers: its performance table was not updated.'
    }
}

Write-Host ''
Write-Host ($md -join [Environment]::NewLine)
Write-Host ''
Write-Host "Results written to $OutDir (results.json, results.md)."
