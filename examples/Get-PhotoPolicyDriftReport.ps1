<#
.SYNOPSIS
Scheduled drift report: compares tenants with the photo update policy kept as code.

.DESCRIPTION
What it does: compares each tenant's photo update policy with a baseline document (written by
Export-PhotoUpdatePolicy and kept in source control), writes a CSV report with one row per tenant
(TenantId, InDesiredState, Differences, Error) and returns the rows. Exits with code 2 when a tenant
drifted or could not be read, so the scheduler marks the run as failed and someone looks. It only
reads: nothing in any tenant is changed.

Schedule it, for example daily at 06:00:
- Windows Task Scheduler:
    $a = New-ScheduledTaskAction -Execute pwsh.exe -Argument '-NoProfile -File C:\ops\Get-PhotoPolicyDriftReport.ps1 -BaselinePath C:\ops\baseline.json -TenantListPath C:\ops\tenants.txt -ClientId <app id> -CertificateThumbprint <thumbprint> -ReportFolder C:\ops\reports'
    Register-ScheduledTask -TaskName PhotoPolicyDrift -Action $a -Trigger (New-ScheduledTaskTrigger -Daily -At 6am)
- Linux cron: 0 6 * * * pwsh -NoProfile -File /opt/ops/Get-PhotoPolicyDriftReport.ps1 ...
- Azure Automation: a schedule on the runbook, with -ManagedIdentity for a single tenant.

Prerequisites: the PhotoUpdatePolicy module; PowerShell 5.1 or 7.x; a baseline document; an app
with a certificate consented in each tenant (or -ManagedIdentity for the tenant the script runs in).

Permissions: Microsoft Graph PeopleSettings.Read.All (application) in every tenant.

.EXAMPLE
./Get-PhotoPolicyDriftReport.ps1 -BaselinePath ./baseline.json -TenantId contoso.onmicrosoft.com -ManagedIdentity -ReportFolder ./reports
#>
[CmdletBinding(DefaultParameterSetName = 'Certificate')]
param(
    [Parameter(Mandatory)] [string] $BaselinePath,
    [string[]] $TenantId = @(),
    [string] $TenantListPath,
    [Parameter(Mandatory, ParameterSetName = 'Certificate')] [string] $ClientId,
    [Parameter(Mandatory, ParameterSetName = 'Certificate')] [string] $CertificateThumbprint,
    [Parameter(Mandatory, ParameterSetName = 'ManagedIdentity')] [switch] $ManagedIdentity,
    [string] $ReportFolder = '.',
    [ValidateRange(1, 64)] [int] $ThrottleLimit = 4
)
$ErrorActionPreference = 'Stop'
Import-Module PhotoUpdatePolicy

$tenants = @($TenantId)
if ($TenantListPath) {
    $tenants += Get-Content -LiteralPath $TenantListPath | ForEach-Object { ($_ -replace '#.*$', '').Trim() } | Where-Object { $_ }
}
if (-not $tenants) { throw 'No tenant given: use -TenantId or -TenantListPath.' }

if ($ManagedIdentity) { Connect-PhotoUpdatePolicy -ManagedIdentity -TenantId $tenants[0] }
else { Connect-PhotoUpdatePolicy -TenantId $tenants[0] -ClientId $ClientId -CertificateThumbprint $CertificateThumbprint }

try {
    # One result per tenant; a tenant that cannot be read is reported, never hidden.
    $results = @(Test-PhotoUpdatePolicy -Path $BaselinePath -TenantId $tenants -ThrottleLimit $ThrottleLimit)
} finally {
    Disconnect-PhotoUpdatePolicy
}

$rows = foreach ($r in $results) {
    [pscustomobject]@{
        TenantId       = $r.TenantId
        InDesiredState = $r.InDesiredState
        Differences    = (@($r.Differences | ForEach-Object { "$($_.Property): expected '$($_.Expected)', found '$($_.Actual)'" }) -join '; ')
        Error          = [string]$r.Error
        CheckedAt      = (Get-Date).ToUniversalTime().ToString('u')
    }
}
New-Item -ItemType Directory -Force -Path $ReportFolder | Out-Null
$report = Join-Path $ReportFolder "photo-policy-drift-$(Get-Date -Format yyyyMMdd-HHmm).csv"
$rows | Export-Csv -LiteralPath $report -NoTypeInformation -Encoding UTF8
$rows

$drifted = @($rows | Where-Object { -not $_.InDesiredState })
Write-Host "$($rows.Count) tenant(s) checked, $($drifted.Count) drifted or failed. Report: $report"
if ($drifted.Count) { exit 2 }
