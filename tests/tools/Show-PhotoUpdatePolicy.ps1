<#
.SYNOPSIS
The walkthrough build.ps1 -Task Run shows: Get -> Set (-WhatIf, then real) -> Get -> Reset, printed
as an admin sees them, against the Graph emulator or (with -RealTenant) a real tenant.

.DESCRIPTION
Against a real tenant the token comes from $env:PHOTOPOLICY_DEMO_ACCESS_TOKEN (build.ps1 sets it, so
it never appears on a command line) and Set/Reset ask for confirmation.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [string] $EmulatorPath,
    [string] $Environment = 'Global',
    [string] $TenantId,
    [switch] $RealTenant
)
$ErrorActionPreference = 'Stop'
$ModuleFolder = (Resolve-Path -LiteralPath $ModuleFolder).ProviderPath
Import-Module (Join-Path $ModuleFolder 'PhotoUpdatePolicy.psd1') -Force

function Show-Command([string] $Text, [scriptblock] $Script) {
    Write-Host ''
    Write-Host "PS> $Text" -ForegroundColor Yellow
    & $Script | Out-Host
}

$emulator = $null
try {
    if ($RealTenant) {
        if (-not $env:PHOTOPOLICY_DEMO_ACCESS_TOKEN) { throw 'No token: pass -AccessToken to build.ps1.' }
        $token = ConvertTo-SecureString $env:PHOTOPOLICY_DEMO_ACCESS_TOKEN -AsPlainText -Force
        $c = @{ AccessToken = $token; Environment = $Environment }
        if ($TenantId) { $c.TenantId = $TenantId }
        $confirm = $true
        Write-Host "Real tenant ($Environment): Set and Reset will ask before writing."
    } else {
        Import-Module (Join-Path $PSScriptRoot '../pester/GraphEmulator.psm1') -Force
        $emulator = Start-GraphEmulator -Path $EmulatorPath
        $tenant = if ($TenantId) { $TenantId } else { [guid]::NewGuid().ToString() }
        $token = New-EmulatorToken -Emulator $emulator -TenantId $tenant
        $c = @{ AccessToken = $token; GraphEndpoint = $emulator.Url; AllowInsecureLoopback = $true }
        $confirm = $false
        Write-Host "Graph emulator at $($emulator.Url), tenant $tenant, app token with PeopleSettings.ReadWrite.All."
        Write-Host "(The splat `$c holds -AccessToken, -GraphEndpoint and -AllowInsecureLoopback.)"
    }

    Show-Command 'Get-PhotoUpdatePolicyRole' { Get-PhotoUpdatePolicyRole }
    Show-Command 'Get-PhotoUpdatePolicy @c' { Get-PhotoUpdatePolicy @c }
    Show-Command "Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator', 'Global Administrator' -WhatIf" {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator', 'Global Administrator' -WhatIf
    }
    Show-Command "Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator', 'Global Administrator' -PassThru" {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator', 'Global Administrator' -PassThru -Confirm:$confirm
    }
    Show-Command 'Get-PhotoUpdatePolicy @c' { Get-PhotoUpdatePolicy @c }
    Show-Command "Set-PhotoUpdatePolicy @c -AllowedRoles 'People Admnistrator'   # a typo" {
        try { Set-PhotoUpdatePolicy @c -AllowedRoles 'People Admnistrator' } catch { Write-Host "ERROR ($($_.FullyQualifiedErrorId)): $($_.Exception.Message)" -ForegroundColor Red }
    }
    Show-Command 'Reset-PhotoUpdatePolicy @c -PassThru' { Reset-PhotoUpdatePolicy @c -PassThru -Confirm:$confirm }
    Show-Command 'Get-PhotoUpdatePolicy @c' { Get-PhotoUpdatePolicy @c }

    if ($emulator) {
        Write-Host ''
        Write-Host 'Requests the emulator received:' -ForegroundColor Yellow
        Get-EmulatorRequest -Emulator $emulator | ForEach-Object {
            '  {0,-6} {1} -> {2} {3}' -f $_.method, $_.path, $_.status, $(if ($_.body) { $_.body } else { '' })
        } | Out-Host
    }
} finally {
    if ($emulator) { Stop-GraphEmulator -Emulator $emulator }
}
