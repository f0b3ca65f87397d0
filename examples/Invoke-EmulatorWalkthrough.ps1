<#
.SYNOPSIS
Tries the PhotoUpdatePolicy cmdlets offline against the Graph emulator: Get, Set -WhatIf, Set, Get,
Reset.

.DESCRIPTION
What it does: starts graph-emulator on a free loopback port (or uses one already running, -Url),
mints an emulator token for a made-up tenant, then walks through what an admin would do: read the
policy, preview a change, restrict photo changes to Global and User Administrators with Source Cloud,
read it back, reset to the defaults and read again. It checks each step and throws if the emulator
answered something unexpected, and stops the emulator it started. No real tenant is touched and no
sign-in is needed. Returns the policies it read (before, after the change, after the reset).

Prerequisites: PowerShell 5.1 or 7.x; the PhotoUpdatePolicy module (installed, or -ModulePath to a
built module folder); the emulator binary (build it from the project with
`cargo build --release -p graph_emulator`; default path target/release/graph-emulator).

Permissions: none in any real tenant. The emulator token carries PeopleSettings.ReadWrite.All.

.EXAMPLE
./examples/Invoke-EmulatorWalkthrough.ps1 -ModulePath ./out/PhotoUpdatePolicy
#>
[CmdletBinding()]
param(
    # A PhotoUpdatePolicy module folder or manifest; default: the installed module.
    [string] $ModulePath = 'PhotoUpdatePolicy',
    # The emulator binary; default: target/release/graph-emulator[.exe] in this repository.
    [string] $EmulatorPath = (Join-Path (Split-Path -Parent $PSScriptRoot) 'target/release/graph-emulator'),
    # An emulator that is already running (then -EmulatorPath is not used).
    [string] $Url,
    [string] $TenantId = '00000000-0000-0000-0000-0000000000e1'
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$process = $null
try {
    if (-not $Url) {
        if (-not (Test-Path -LiteralPath $EmulatorPath) -and (Test-Path -LiteralPath "$EmulatorPath.exe")) { $EmulatorPath = "$EmulatorPath.exe" }
        if (-not (Test-Path -LiteralPath $EmulatorPath)) {
            throw "graph-emulator not found at '$EmulatorPath'. Build it with 'cargo build --release -p graph_emulator' or pass -EmulatorPath or -Url."
        }
        $start = New-Object System.Diagnostics.ProcessStartInfo
        $start.FileName = (Resolve-Path -LiteralPath $EmulatorPath).ProviderPath
        $start.Arguments = '--port 0'
        $start.UseShellExecute = $false
        $start.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($start)
        $first = $process.StandardOutput.ReadLine()
        if ($first -notmatch 'listening on (http://\S+)') { throw "The emulator did not start: it printed '$first'." }
        $Url = $Matches[1]
        # Keep draining its output so a chatty emulator never blocks on a full pipe.
        $null = $process.StandardOutput.ReadToEndAsync()
    }
    Write-Host "Graph emulator at $Url"

    $body = @{ tenantId = $TenantId; roles = @('PeopleSettings.ReadWrite.All') } | ConvertTo-Json
    $token = (Invoke-RestMethod -Method Post -Uri "$Url/_emulator/tokens" -Body $body -ContentType 'application/json').access_token
    $emu = @{ AccessToken = $token; GraphEndpoint = $Url; AllowInsecureLoopback = $true }

    Write-Host "`n1. The policy as it is (a new tenant starts with the defaults):"
    $before = Get-PhotoUpdatePolicy @emu
    $before | Format-List Source, AllowedRoles, EveryoneCanChangePhoto | Out-Host
    if (-not $before.EveryoneCanChangePhoto) { throw 'Expected a fresh emulator tenant to have no role restriction.' }

    Write-Host '2. Preview: restrict photo changes to Global and User Administrators, photos from the cloud:'
    Set-PhotoUpdatePolicy @emu -Source Cloud -AllowedRoles 'Global Administrator', 'User Administrator' -WhatIf
    if (-not (Get-PhotoUpdatePolicy @emu).EveryoneCanChangePhoto) { throw '-WhatIf changed the policy.' }

    Write-Host "`n3. The change itself:"
    Set-PhotoUpdatePolicy @emu -Source Cloud -AllowedRoles 'Global Administrator', 'User Administrator' -Confirm:$false
    $changed = Get-PhotoUpdatePolicy @emu
    $changed | Format-List Source, AllowedRoles, EveryoneCanChangePhoto | Out-Host
    $ids = @($changed.AllowedRoles | ForEach-Object { $_.Id }) | Sort-Object
    if ([string]$changed.Source -ne 'Cloud' -or ($ids -join ',') -ne '62e90394-69f5-4237-9190-012177145e10,fe930be7-5e62-47db-91af-98c3a49a38b1') {
        throw "The change did not land: source '$($changed.Source)', roles '$($ids -join ', ')'."
    }

    Write-Host '4. Back to the defaults:'
    Reset-PhotoUpdatePolicy @emu -Confirm:$false
    $reset = Get-PhotoUpdatePolicy @emu
    $reset | Format-List Source, AllowedRoles, EveryoneCanChangePhoto | Out-Host
    if (-not $reset.EveryoneCanChangePhoto -or [string]$reset.Source -ne 'NotSet') { throw 'The reset did not bring the defaults back.' }

    Write-Host 'Walkthrough complete: every step behaved as expected.'
    [pscustomobject]@{ Before = $before; Changed = $changed; Reset = $reset }
} finally {
    if ($process -and -not $process.HasExited) { $process.Kill(); $process.WaitForExit(5000) | Out-Null }
}
