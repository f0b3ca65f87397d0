<#
.SYNOPSIS
Per-call cost of Get-PhotoUpdatePolicy next to Invoke-RestMethod (same token, same URL, same
session), first calls vs warm calls, and how many requests a Set that changes nothing sends.

.DESCRIPTION
Runs in a fresh PowerShell started by Invoke-Benchmarks.ps1 (so nothing else is loaded), against a
Graph emulator that is already running as its own process. The token comes from the environment
variable PUP_BENCH_TOKEN, never from the command line. Writes its figures as JSON to -OutFile.

Warm calls are measured in interleaved blocks of 100 (cmdlet, then Invoke-RestMethod, then cmdlet
...) so that a load spike on a shared machine hits both alike.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    [Parameter(Mandatory)] [string] $TenantId,
    [Parameter(Mandatory)] [string] $OutFile,
    [int] $Calls = 1000,
    [int] $WarmUp = 50
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'BenchStats.ps1')

$token = $env:PUP_BENCH_TOKEN
if (-not $token) { throw 'PUP_BENCH_TOKEN (an emulator access token) is not set.' }
$block = 100
if ($Calls % $block) { throw "-Calls must be a multiple of $block (got $Calls)." }

$policyUrl = "$EmulatorUrl/beta/admin/people/photoUpdateSettings"
$headers = @{ Authorization = "Bearer $token" }
$sw = [System.Diagnostics.Stopwatch]::new()

Import-Module (Join-Path $ModuleFolder 'PhotoUpdatePolicy.psd1') -ErrorAction Stop

# First calls: the cmdlet's pays for the native runtime, the TLS configuration and the connection;
# Invoke-RestMethod's for its own JIT and HttpClient. The second call shows the warm path.
$sw.Restart()
$first = Get-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback
$cmdletFirst = $sw.Elapsed.TotalMilliseconds
if ($first.Source -ne 'Cloud') { throw "The bench tenant's policy should read Source = Cloud; got '$($first.Source)'." }
$sw.Restart()
$null = Get-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback
$cmdletSecond = $sw.Elapsed.TotalMilliseconds

$sw.Restart()
$irmAnswer = Invoke-RestMethod -Uri $policyUrl -Headers $headers
$irmFirst = $sw.Elapsed.TotalMilliseconds
if ($irmAnswer.source -ne 'cloud') { throw "Invoke-RestMethod read source '$($irmAnswer.source)', expected 'cloud'." }
$sw.Restart()
$null = Invoke-RestMethod -Uri $policyUrl -Headers $headers
$irmSecond = $sw.Elapsed.TotalMilliseconds

for ($i = 0; $i -lt $WarmUp; $i++) {
    $null = Get-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback
    $null = Invoke-RestMethod -Uri $policyUrl -Headers $headers
}

$cmdlet = [System.Collections.Generic.List[double]]::new($Calls)
$irm = [System.Collections.Generic.List[double]]::new($Calls)
for ($b = 0; $b -lt $Calls / $block; $b++) {
    for ($i = 0; $i -lt $block; $i++) {
        $sw.Restart()
        $null = Get-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback
        $cmdlet.Add($sw.Elapsed.TotalMilliseconds)
    }
    for ($i = 0; $i -lt $block; $i++) {
        $sw.Restart()
        $null = Invoke-RestMethod -Uri $policyUrl -Headers $headers
        $irm.Add($sw.Elapsed.TotalMilliseconds)
    }
}

# A Set that changes nothing (the policy already reads Source = Cloud): count the Graph requests
# in the emulator's log. Then one that changes something, for comparison (and back again).
function Get-GraphRequests {
    $log = Invoke-RestMethod -Uri "$EmulatorUrl/_emulator/requests"
    $entries = if ($log -is [array]) { $log } elseif ($log.PSObject.Properties['requests']) { @($log.requests) } else { @($log) }
    @($entries | Where-Object { $_.route -eq 'graph' })
}
function Measure-Set([scriptblock] $Action) {
    Invoke-RestMethod -Method Delete -Uri "$EmulatorUrl/_emulator/requests" | Out-Null
    $sw.Restart()
    & $Action
    $ms = $sw.Elapsed.TotalMilliseconds
    $requests = Get-GraphRequests
    [ordered]@{
        elapsedMs = [math]::Round($ms, 3)
        requests  = $requests.Count
        methods   = @($requests | ForEach-Object { $_.method })
    }
}
$setNoChange = Measure-Set { Set-PhotoUpdatePolicy -Source Cloud -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback -Confirm:$false -InformationAction SilentlyContinue }
$setChange = Measure-Set { Set-PhotoUpdatePolicy -Source OnPremises -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback -Confirm:$false -WarningAction SilentlyContinue }
Set-PhotoUpdatePolicy -Source Cloud -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback -Confirm:$false -WarningAction SilentlyContinue
$after = Get-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback
if ($after.Source -ne 'Cloud') { throw "The bench tenant's policy was not set back to Cloud (reads '$($after.Source)')." }

# One-off client secret sign-in on every call (a script passing -ClientSecret to each cmdlet): the
# module keeps the signed-in client, so only the first call signs in. Counted in the emulator's log.
$appId = 'b8000000-0000-4000-8000-0000000000a8'
$appSecret = 'bench-one-off-secret-' + [guid]::NewGuid().ToString('N')
Invoke-RestMethod -Method Post -Uri "$EmulatorUrl/_emulator/apps" -ContentType 'application/json' -Body (@{
        tenantId = $TenantId; clientId = $appId; secret = $appSecret; roles = @('PeopleSettings.ReadWrite.All')
    } | ConvertTo-Json) | Out-Null
$secure = ConvertTo-SecureString $appSecret -AsPlainText -Force
$oneOff = @{ TenantId = $TenantId; ClientId = $appId; ClientSecret = $secure; GraphEndpoint = $EmulatorUrl; AuthorityEndpoint = $EmulatorUrl; AllowInsecureLoopback = $true }
Invoke-RestMethod -Method Delete -Uri "$EmulatorUrl/_emulator/requests" | Out-Null
$secretCalls = [System.Collections.Generic.List[double]]::new()
for ($i = 0; $i -lt 200; $i++) {
    $sw.Restart()
    $null = Get-PhotoUpdatePolicy @oneOff
    $secretCalls.Add($sw.Elapsed.TotalMilliseconds)
}
$log = Invoke-RestMethod -Uri "$EmulatorUrl/_emulator/requests"
$logEntries = if ($log -is [array]) { $log } elseif ($log.PSObject.Properties['requests']) { @($log.requests) } else { @($log) }
$signIns = @($logEntries | Where-Object { $_.route -eq 'token' }).Count
Disconnect-PhotoUpdatePolicy

$result = [ordered]@{
    calls            = $Calls
    blockSize        = $block
    warmUpCalls      = $WarmUp
    cmdlet           = Get-BenchStats $cmdlet.ToArray()
    invokeRestMethod = Get-BenchStats $irm.ToArray()
    firstCalls       = [ordered]@{
        cmdletFirstMs           = [math]::Round($cmdletFirst, 3)
        cmdletSecondMs          = [math]::Round($cmdletSecond, 3)
        invokeRestMethodFirstMs = [math]::Round($irmFirst, 3)
        invokeRestMethodSecondMs = [math]::Round($irmSecond, 3)
    }
    oneOffClientSecret = [ordered]@{
        calls         = $secretCalls.Count
        signInRequests = $signIns
        firstCallMs   = [math]::Round($secretCalls[0], 3)
        warm          = Get-BenchStats ($secretCalls.GetRange(1, $secretCalls.Count - 1).ToArray())
    }
    setNoChange      = $setNoChange
    setWithChange    = $setChange
}
$result | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $OutFile -Encoding utf8
