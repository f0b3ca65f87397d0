<#
.SYNOPSIS
Get-PhotoUpdateAccess on a tenant with many role assignments, next to a raw paging loop with
Invoke-RestMethod over the same pages, against the emulator with added latency.

.DESCRIPTION
Runs in a fresh PowerShell started by Invoke-Benchmarks.ps1, against a Graph emulator already
running as its own process. Seeds one tenant with -Assignments People Administrator assignments
(users), served -Pages pages (pageSize = Assignments / Pages), adds a latency fault of -LatencyMs
to every Graph request, then measures, interleaved, -Runs times each:
  cmdlet    Get-PhotoUpdateAccess (policy, active and eligible assignments of every role that
            matters, the apps' permissions, every page followed);
  baseline  Invoke-RestMethod following @odata.nextLink through the same People Administrator
            assignments ($filter, $expand=principal): the pages alone, nothing else read.
Writes its figures as JSON to -OutFile. Its token is minted from the emulator's control API.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    [Parameter(Mandatory)] [string] $TenantId,
    [Parameter(Mandatory)] [string] $OutFile,
    [int] $Assignments = 5000,
    [int] $Pages = 50,
    [int] $LatencyMs = 25,
    [int] $Runs = 5
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'BenchStats.ps1')

# A token with the directory reads Get-PhotoUpdateAccess makes (minted here: the suite's token
# carries only the policy permission).
$grant = @{ tenantId = $TenantId; roles = @('PeopleSettings.Read.All', 'RoleManagement.Read.Directory', 'Application.Read.All', 'GroupMember.Read.All') }
$token = (Invoke-RestMethod -Method Post -Uri "$EmulatorUrl/_emulator/tokens" -ContentType 'application/json' -Body ($grant | ConvertTo-Json -Compress)).access_token
$people = '024906de-61e5-49c8-8572-40335f1e0e10'

# The tenant: N users, each holding People Administrator at tenant scope.
$users = [System.Collections.Generic.List[object]]::new()
$assigned = [System.Collections.Generic.List[object]]::new()
for ($i = 0; $i -lt $Assignments; $i++) {
    $id = '{0:D8}-0000-4000-8000-000000000000' -f $i
    $users.Add(@{ id = $id; displayName = "User $i"; userPrincipalName = "user$i@bench.example" })
    $assigned.Add(@{ principalId = $id; roleDefinitionId = $people })
}
$directory = @{ pageSize = [math]::Max(1, [math]::Ceiling($Assignments / $Pages)); users = $users; roleAssignments = $assigned }
$json = $directory | ConvertTo-Json -Depth 5 -Compress
Invoke-RestMethod -Method Put -Uri "$EmulatorUrl/_emulator/tenants/$TenantId/directory" -ContentType 'application/json' -Body $json | Out-Null
Invoke-RestMethod -Method Put -Uri "$EmulatorUrl/_emulator/tenants/$TenantId/policy" -ContentType 'application/json' -Body (@{ source = 'cloud'; allowedRoles = @($people) } | ConvertTo-Json -Compress) | Out-Null
Invoke-RestMethod -Method Post -Uri "$EmulatorUrl/_emulator/faults" -ContentType 'application/json' -Body (@{ route = 'graph'; kind = 'latency'; latencyMs = $LatencyMs } | ConvertTo-Json -Compress) | Out-Null

Import-Module (Join-Path $ModuleFolder 'PhotoUpdatePolicy.psd1') -ErrorAction Stop
$secure = ConvertTo-SecureString $token -AsPlainText -Force
$headers = @{ Authorization = "Bearer $token" }
$first = "$EmulatorUrl/v1.0/roleManagement/directory/roleAssignments?`$filter=roleDefinitionId%20eq%20'$people'&`$expand=principal"

function Invoke-Cmdlet {
    @(Get-PhotoUpdateAccess -TenantId $TenantId -AccessToken $secure -GraphEndpoint $EmulatorUrl -AllowInsecureLoopback -WarningAction SilentlyContinue)
}

function Invoke-RawLoop {
    $url = $first
    $items = 0
    $pages = 0
    while ($url) {
        $page = Invoke-RestMethod -Uri $url -Headers $headers
        $items += @($page.value).Count
        $pages++
        $url = if ($page.PSObject.Properties['@odata.nextLink']) { $page.'@odata.nextLink' } else { $null }
    }
    [pscustomobject]@{ Items = $items; Pages = $pages }
}

# Warm both (JIT, connections), and check they see the same assignments.
$principals = Invoke-Cmdlet
$raw = Invoke-RawLoop
$listed = @($principals | Where-Object { $_.PrincipalType -eq 'User' -and $_.CanChangeOthersPhotos }).Count
if ($listed -ne $Assignments -or $raw.Items -ne $Assignments) {
    throw "Expected $Assignments holders; Get-PhotoUpdateAccess listed $listed, the raw loop read $($raw.Items)."
}

$sw = [System.Diagnostics.Stopwatch]::new()
$cmdlet = [System.Collections.Generic.List[double]]::new()
$baseline = [System.Collections.Generic.List[double]]::new()
for ($r = 0; $r -lt $Runs; $r++) {
    $sw.Restart(); $null = Invoke-Cmdlet; $cmdlet.Add($sw.Elapsed.TotalMilliseconds)
    $sw.Restart(); $null = Invoke-RawLoop; $baseline.Add($sw.Elapsed.TotalMilliseconds)
}
Invoke-RestMethod -Method Delete -Uri "$EmulatorUrl/_emulator/faults" | Out-Null

[ordered]@{
    assignments = $Assignments
    pages       = $raw.Pages
    latencyMs   = $LatencyMs
    runs        = $Runs
    cmdlet      = Get-BenchStats $cmdlet
    rawPaging   = Get-BenchStats $baseline
} | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $OutFile -Encoding utf8
