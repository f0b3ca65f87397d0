<#
.SYNOPSIS
Applies one photo update policy to many tenants with a certificate-based app (service providers).

.DESCRIPTION
What it does: for each tenant in -TenantId (or a text file, one tenant per line), signs in as a
multi-tenant app with its certificate, reads the policy, applies the desired source and roles when
they differ, and returns one result per tenant (TenantId, Status, Before, After, Error). A tenant
that fails is reported and the run goes on. -WhatIf shows every tenant's change and sends no write.
Tenants run one after another (works on PowerShell 5.1); Import-PhotoUpdatePolicy -TenantId
... -ThrottleLimit runs them in parallel.

Prerequisites: the PhotoUpdatePolicy module; PowerShell 5.1 or 7.x; a multi-tenant app registration
with a certificate credential, admin-consented in every customer tenant; the certificate with its
private key in the Windows store (-CertificateThumbprint) or a PFX file (-CertificatePath, any OS).
Partner (GDAP) delegated sign-ins have been refused by this API: use the app.

Permissions: Microsoft Graph PeopleSettings.ReadWrite.All (application) in every tenant.

.EXAMPLE
./Invoke-PhotoPolicyFleet.ps1 -TenantListPath ./customers.txt -ClientId $appId -CertificatePath ./app.pfx -CertificatePassword $pw -Source Cloud -AllowedRoles 'Global Administrator','People Administrator' -WhatIf
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium', DefaultParameterSetName = 'Thumbprint')]
param(
    [string[]] $TenantId = @(),
    # A text file with one tenant ID or domain per line; '#' starts a comment.
    [string] $TenantListPath,
    [Parameter(Mandatory)] [string] $ClientId,
    [Parameter(Mandatory, ParameterSetName = 'Thumbprint')] [string] $CertificateThumbprint,
    [Parameter(Mandatory, ParameterSetName = 'File')] [string] $CertificatePath,
    [Parameter(ParameterSetName = 'File')] [securestring] $CertificatePassword,
    [ValidateSet('Cloud', 'OnPremises', 'NotSet')] [string] $Source,
    [string[]] $AllowedRoles,
    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')] [string] $Environment = 'Global'
)
$ErrorActionPreference = 'Stop'
Import-Module PhotoUpdatePolicy

$tenants = @($TenantId)
if ($TenantListPath) {
    $tenants += Get-Content -LiteralPath $TenantListPath | ForEach-Object { ($_ -replace '#.*$', '').Trim() } | Where-Object { $_ }
}
if (-not $tenants) { throw 'No tenant given: use -TenantId or -TenantListPath.' }

$change = @{}
if ($PSBoundParameters.ContainsKey('Source')) { $change.Source = $Source }
if ($PSBoundParameters.ContainsKey('AllowedRoles')) { $change.AllowedRoles = $AllowedRoles }
if ($change.Count -eq 0) { throw 'Give -Source and/or -AllowedRoles: there is nothing to apply.' }

$credential = @{ ClientId = $ClientId; Environment = $Environment }
if ($PSCmdlet.ParameterSetName -eq 'Thumbprint') { $credential.CertificateThumbprint = $CertificateThumbprint }
else {
    $credential.CertificatePath = (Resolve-Path -LiteralPath $CertificatePath).ProviderPath
    if ($CertificatePassword) { $credential.CertificatePassword = $CertificatePassword }
}

foreach ($tenant in $tenants) {
    $row = [ordered]@{ TenantId = $tenant; Status = ''; Before = ''; After = ''; Error = '' }
    try {
        Connect-PhotoUpdatePolicy @credential -TenantId $tenant
        $before = Get-PhotoUpdatePolicy
        $row.Before = "$($before.Source); $(@($before.AllowedRoles | ForEach-Object { $_.Name }) -join ', ')"
        if ($PSCmdlet.ShouldProcess($tenant, 'Apply the photo update policy')) {
            $after = Set-PhotoUpdatePolicy @change -Confirm:$false -PassThru
            if (-not $after) { $after = Get-PhotoUpdatePolicy }
            $row.After = "$($after.Source); $(@($after.AllowedRoles | ForEach-Object { $_.Name }) -join ', ')"
            $row.Status = 'Applied'
        } else {
            Set-PhotoUpdatePolicy @change -WhatIf
            $row.Status = 'WhatIf'
        }
    } catch {
        $row.Status = 'Failed'
        $row.Error = $_.Exception.Message
    } finally {
        Disconnect-PhotoUpdatePolicy
    }
    [pscustomobject]$row
}
