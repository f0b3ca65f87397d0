<#
.SYNOPSIS
Makes Microsoft 365 the only place where profile photos are managed (Source = Cloud).

.DESCRIPTION
What it does: sets the photo update policy's source to Cloud, so photos are changed in Microsoft 365
and are no longer taken from on-premises Active Directory. Existing photos are not touched: photos
synchronized earlier stay until replaced (Remove-UserPhoto in Exchange Online removes one). The
role restriction (AllowedRoles) is left as it is. It saves the current policy to a JSON file first,
so the change can be undone with Import-PhotoUpdatePolicy. Takes up to 24 hours to apply.

Prerequisites: the PhotoUpdatePolicy module; PowerShell 5.1 or 7.x; Connect-PhotoUpdatePolicy first
(or pass -AccessToken).

Permissions: Microsoft Graph PeopleSettings.ReadWrite.All; a signed-in admin also needs a directory
role such as People Administrator.

.EXAMPLE
./Set-CloudOnlyPhotos.ps1 -BackupPath ./photo-policy-before.json -WhatIf
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
param(
    [object] $AccessToken,
    # Where the policy before the change is saved.
    [string] $BackupPath = "./photo-policy-backup-$(Get-Date -Format yyyyMMdd-HHmmss).json"
)
$ErrorActionPreference = 'Stop'
Import-Module PhotoUpdatePolicy

$auth = @{}
if ($AccessToken) { $auth.AccessToken = $AccessToken }

$before = Get-PhotoUpdatePolicy @auth
if ($before.Source -eq 'Cloud') {
    Write-Host 'Photos are already managed in the cloud only; nothing to do.'
    return
}
if ($PSCmdlet.ShouldProcess($BackupPath, 'Save the current photo update policy')) {
    # This script has asked already; Export returns the file it wrote.
    $saved = Export-PhotoUpdatePolicy @auth -Path $BackupPath -Confirm:$false
    Write-Host "Saved the current policy (source: $($before.Source)) to $($saved.FullName)."
}
Set-PhotoUpdatePolicy @auth -Source Cloud
