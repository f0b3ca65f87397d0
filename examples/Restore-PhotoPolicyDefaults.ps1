<#
.SYNOPSIS
Puts the photo update policy back to the defaults and proves it.

.DESCRIPTION
What it does: shows the current policy, resets it (no source set, no role restriction: every user
may change their own photo), and prints how the reset was done and that reading the policy back
confirmed it. Exits with code 1 when the reset could not be verified, so a scheduler or a pipeline
notices. Takes up to 24 hours to apply across Microsoft 365.

Prerequisites: the PhotoUpdatePolicy module; PowerShell 5.1 or 7.x; Connect-PhotoUpdatePolicy first
(or pass -AccessToken).

Permissions: Microsoft Graph PeopleSettings.ReadWrite.All; a signed-in admin also needs a directory
role such as People Administrator.

.EXAMPLE
./Restore-PhotoPolicyDefaults.ps1 -Confirm:$false
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
param([object] $AccessToken)
$ErrorActionPreference = 'Stop'
Import-Module PhotoUpdatePolicy

$auth = @{}
if ($AccessToken) { $auth.AccessToken = $AccessToken }

Write-Host 'Before:'
Get-PhotoUpdatePolicy @auth | Format-List Source, AllowedRoles

try {
    $after = Reset-PhotoUpdatePolicy @auth -PassThru
} catch {
    # PhotoUpdatePolicy.ResetNotVerified: no reset path brought the defaults back.
    Write-Error "The reset failed: $($_.Exception.Message)" -ErrorAction Continue
    exit 1
}
if ($after) {
    Write-Host "Reset done with $($after.ResetMethod); verified by reading back: $($after.Verified)."
    $after | Format-List Source, AllowedRoles, EveryoneCanChangePhoto
}
