<#
.SYNOPSIS
Lets only Global Administrators and User Administrators change profile photos.

.DESCRIPTION
What it does: shows the planned change (-WhatIf), asks for confirmation, then restricts the tenant's
photo update policy to the Global Administrator and User Administrator roles. Users can no longer
change their own photo. The change takes up to 24 hours to apply across Microsoft 365.
Add -IncludePeopleAdministrator to also allow People Administrator, the least privileged role that
manages photos.

Prerequisites: the PhotoUpdatePolicy module; PowerShell 5.1 or 7.x; a connection made with
Connect-PhotoUpdatePolicy, or a token passed with -AccessToken.

Permissions: Microsoft Graph PeopleSettings.ReadWrite.All (delegated or application). A signed-in
admin also needs a directory role such as People Administrator.

.EXAMPLE
Connect-PhotoUpdatePolicy -DeviceCode -TenantId contoso.onmicrosoft.com
./Restrict-PhotoChangesToAdmins.ps1
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
param(
    # A Graph token (SecureString or string); omit to use Connect-PhotoUpdatePolicy's connection.
    [object] $AccessToken,
    # Also allow People Administrator.
    [switch] $IncludePeopleAdministrator
)
$ErrorActionPreference = 'Stop'
Import-Module PhotoUpdatePolicy

$auth = @{}
if ($AccessToken) { $auth.AccessToken = $AccessToken }

$roles = @('Global Administrator', 'User Administrator')
if ($IncludePeopleAdministrator) { $roles += 'People Administrator' }

Write-Host 'Current policy:'
Get-PhotoUpdatePolicy @auth | Format-List Source, AllowedRoles, EveryoneCanChangePhoto

# Set-PhotoUpdatePolicy plans the change first; -WhatIf and -Confirm flow through to it.
# Roles are accepted only with source Cloud: set both in one request.
$result = Set-PhotoUpdatePolicy @auth -Source Cloud -AllowedRoles $roles -PassThru
if ($result) {
    Write-Host 'New policy (takes up to 24 hours to apply across Microsoft 365):'
    $result | Format-List Source, AllowedRoles, EveryoneCanChangePhoto
}
