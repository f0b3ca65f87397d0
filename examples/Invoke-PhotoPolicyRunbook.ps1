<#
.SYNOPSIS
Azure Automation runbook: keeps the photo update policy in the desired state with a managed identity.

.DESCRIPTION
What it does: signs in with the Automation account's managed identity, compares the tenant's photo
update policy with the desired state given as runbook parameters, and corrects it when it drifted.
Writes one result object (tenant, before, after, changed) to the job output. With -ReportOnly it
only reports. Runs unattended on Azure Automation's PowerShell 5.1, 7.2 and 7.4 runtimes (the
module loads lib/net472 on 5.1 and lib/net6.0 on 7.x; docs/runtimes.md): the module is small (no
Microsoft Graph SDK), so it stays well inside the sandbox's memory limit.

Prerequisites:
- Import the PhotoUpdatePolicy module into the Automation account (Modules > Add a module), for the
  runtime version the runbook uses.
- Enable the account's system-assigned identity (or attach a user-assigned one and pass
  -ManagedIdentityClientId).
- Grant the identity the Microsoft Graph application permission PeopleSettings.ReadWrite.All (read
  only with -ReportOnly: PeopleSettings.Read.All). Once, from an admin workstation, for example:
    Connect-MgGraph -Scopes AppRoleAssignment.ReadWrite.All, Application.Read.All
    $graph = Get-MgServicePrincipal -Filter "appId eq '00000003-0000-0000-c000-000000000000'"
    $role  = $graph.AppRoles | Where-Object Value -eq 'PeopleSettings.ReadWrite.All'
    New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId <identity object id> `
        -PrincipalId <identity object id> -ResourceId $graph.Id -AppRoleId $role.Id

Permissions: PeopleSettings.ReadWrite.All (application), or PeopleSettings.Read.All with -ReportOnly.

.EXAMPLE
Start-AzAutomationRunbook -Name Invoke-PhotoPolicyRunbook -Parameters @{ Source = 'Cloud'; AllowedRoles = 'Global Administrator,User Administrator' } ...
#>
param(
    # Desired source: Cloud, OnPremises or NotSet. Empty = leave the source alone.
    [string] $Source = '',
    # Desired roles, comma-separated names or template IDs (runbook parameters are plain strings).
    # 'none' = no restriction. Empty = leave the roles alone.
    [string] $AllowedRoles = '',
    # Client ID of a user-assigned identity; empty = system-assigned.
    [string] $ManagedIdentityClientId = '',
    [string] $TenantId = '',
    # Global, USGov, USGovDoD or China.
    [string] $Environment = 'Global',
    # Report drift without changing anything.
    [bool] $ReportOnly = $false
)
$ErrorActionPreference = 'Stop'
Import-Module PhotoUpdatePolicy

$connect = @{ ManagedIdentity = $true; Environment = $Environment }
if ($ManagedIdentityClientId) { $connect.ManagedIdentityClientId = $ManagedIdentityClientId }
if ($TenantId) { $connect.TenantId = $TenantId }
Connect-PhotoUpdatePolicy @connect

try {
    $before = Get-PhotoUpdatePolicy
    $change = @{}
    if ($Source) { $change.Source = $Source }
    if ($AllowedRoles -eq 'none') {
        $change.AllowedRoles = [string[]]@()
    } elseif ($AllowedRoles) {
        $change.AllowedRoles = [string[]]@($AllowedRoles -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    }
    if ($change.Count -eq 0) { throw 'Give -Source and/or -AllowedRoles: there is no desired state to enforce.' }

    $after = $before
    if ($ReportOnly) {
        # -WhatIf plans against the live policy and sends no write; its message tells the drift.
        Set-PhotoUpdatePolicy @change -WhatIf
    } else {
        # Only what differs is sent; an unchanged policy gets no write at all.
        $result = Set-PhotoUpdatePolicy @change -Confirm:$false -PassThru
        if ($result) { $after = $result }
    }
    [pscustomobject]@{
        TenantId      = $before.TenantId
        SourceBefore  = [string]$before.Source
        RolesBefore   = (@($before.AllowedRoles | ForEach-Object { $_.Name }) -join ', ')
        SourceAfter   = [string]$after.Source
        RolesAfter    = (@($after.AllowedRoles | ForEach-Object { $_.Name }) -join ', ')
        ReportOnly    = $ReportOnly
        Note          = 'Changes take up to 24 hours to apply across Microsoft 365.'
    }
} finally {
    Disconnect-PhotoUpdatePolicy
}
