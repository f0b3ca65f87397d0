<#
.SYNOPSIS
Runs the help examples (docs/help/*.md) in one fresh PowerShell, each against a freshly seeded
Graph emulator, and prints what each one printed between marker lines.

.DESCRIPTION
Started by HelpExamples.Tests.ps1 as a child process, because an example prints the way an admin's
console shows it: the pipeline's output formatted by the module's format file, warnings, and what
-WhatIf writes to the host. Here everything goes to this process's standard output, in order:

    @@@BEGIN <id>
    <what the example printed>
    @@@END <id>

The world every example starts from (so its shown output can be exact):
  - tenant contoso (c1a5e7d2-3b4f-4a6e-9c8d-0f1e2d3c4b5a, domain contoso.onmicrosoft.com) with the
    policy Source Cloud, AllowedRoles Global Administrator and People Administrator, and the directory of
    tests/emulator/tests/fixtures/directory-photo-access.json (user names at contoso.com);
  - tenant fabrikam (f4b2c6d8-1e3a-4c5b-8d7e-9a0b1c2d3e4f, fabrikam.onmicrosoft.com), default policy;
  - the multi-tenant app 11111111-2222-3333-4444-555555555555 with a client secret in both tenants,
    and the session connected to contoso with it (Connect-PhotoUpdatePolicy -ClientSecret);
  - $env:PHOTOPOLICY_GRAPH_ENDPOINT and PHOTOPOLICY_AUTHORITY_ENDPOINT at the emulator,
    PHOTOPOLICY_ALLOW_INSECURE_LOOPBACK=1 (how docs/emulator.md points scripts at it);
  - a fresh working folder holding tenants/contoso/photo-policy.json (the desired state: Source
    Cloud, AllowedRoles Global, People and User Administrator), baseline.json (Source Cloud,
    AllowedRoles People Administrator), both written by Export-PhotoUpdatePolicy, customers.txt (both tenant IDs)
    and customers.csv (TenantId and an AccessToken per tenant);
  - the emulator URL http://127.0.0.1:5099 written in an example stands for this emulator's URL.
Console width 120, en-US culture, plain text (no colours), progress bars off.
#>
param(
    [Parameter(Mandatory)] [string] $Manifest,
    [Parameter(Mandatory)] [string] $EmulatorModule,
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    # JSON: [{ Id, Script }]
    [Parameter(Mandatory)] [string] $ExamplesFile,
    [Parameter(Mandatory)] [string] $WorkRoot,
    [Parameter(Mandatory)] [string] $DirectoryFixture
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if (Get-Variable -Name PSStyle -ErrorAction SilentlyContinue) { $PSStyle.OutputRendering = 'PlainText' }
[System.Threading.Thread]::CurrentThread.CurrentCulture = [System.Globalization.CultureInfo]::GetCultureInfo('en-US')
[System.Threading.Thread]::CurrentThread.CurrentUICulture = [System.Globalization.CultureInfo]::GetCultureInfo('en-US')
Import-Module $Manifest
Import-Module $EmulatorModule
$emulator = [pscustomobject]@{ Url = $EmulatorUrl }
$env:PHOTOPOLICY_GRAPH_ENDPOINT = $EmulatorUrl
$env:PHOTOPOLICY_AUTHORITY_ENDPOINT = $EmulatorUrl
$env:PHOTOPOLICY_ALLOW_INSECURE_LOOPBACK = '1'

$contoso = 'c1a5e7d2-3b4f-4a6e-9c8d-0f1e2d3c4b5a'
$fabrikam = 'f4b2c6d8-1e3a-4c5b-8d7e-9a0b1c2d3e4f'
$appId = '11111111-2222-3333-4444-555555555555'
$globalAdmin = '62e90394-69f5-4237-9190-012177145e10'
$userAdmin = 'fe930be7-5e62-47db-91af-98c3a49a38b1'
$peopleAdmin = '024906de-61e5-49c8-8572-40335f1e0e10'
$secret = 'example-secret-' + [guid]::NewGuid().ToString('N')
$appRoles = @('PeopleSettings.ReadWrite.All', 'RoleManagement.Read.Directory', 'RoleEligibilitySchedule.Read.Directory', 'Directory.Read.All')
$directory = ([System.IO.File]::ReadAllText($DirectoryFixture)) -replace 'contoso\.example', 'contoso.com'

function Write-Line([string] $Text) { [Console]::Out.WriteLine($Text) }

function Initialize-World([string] $Folder) {
    Reset-Emulator -Emulator $emulator
    foreach ($t in @(@($contoso, 'contoso.onmicrosoft.com'), @($fabrikam, 'fabrikam.onmicrosoft.com'))) {
        Invoke-EmulatorApi -Emulator $emulator -Method Put -Path "/_emulator/tenants/$($t[0])/domains/$($t[1])" | Out-Null
        Invoke-EmulatorApi -Emulator $emulator -Method Post -Path '/_emulator/apps' -Body @{ tenantId = $t[0]; clientId = $appId; secret = $secret; roles = $appRoles } | Out-Null
    }
    Invoke-EmulatorApi -Emulator $emulator -Method Put -Path "/_emulator/tenants/$contoso/directory" -Body $directory | Out-Null

    Disconnect-PhotoUpdatePolicy
    Connect-PhotoUpdatePolicy -TenantId $contoso -ClientId $appId -ClientSecret (ConvertTo-SecureString $secret -AsPlainText -Force)

    New-Item -ItemType Directory -Path $Folder | Out-Null
    Set-Location -LiteralPath $Folder
    New-Item -ItemType Directory -Path (Join-Path $Folder 'tenants/contoso') | Out-Null
    # The documents are written by Export-PhotoUpdatePolicy from a tenant in the desired state.
    Set-EmulatorPolicy -Emulator $emulator -TenantId $contoso -Policy "{`"source`":`"cloud`",`"allowedRoles`":[`"$globalAdmin`",`"$peopleAdmin`",`"$userAdmin`"]}"
    Export-PhotoUpdatePolicy -Path (Join-Path $Folder 'tenants/contoso/photo-policy.json') | Out-Null
    Set-EmulatorPolicy -Emulator $emulator -TenantId $contoso -Policy "{`"source`":`"cloud`",`"allowedRoles`":[`"$peopleAdmin`"]}"
    Export-PhotoUpdatePolicy -Path (Join-Path $Folder 'baseline.json') | Out-Null
    Set-EmulatorPolicy -Emulator $emulator -TenantId $contoso -Policy "{`"source`":`"cloud`",`"allowedRoles`":[`"$globalAdmin`",`"$peopleAdmin`"]}"
    Set-Content -LiteralPath (Join-Path $Folder 'customers.txt') -Value @($contoso, $fabrikam)
    $rows = foreach ($t in $contoso, $fabrikam) {
        [pscustomobject]@{ TenantId = $t; AccessToken = (New-EmulatorToken -Emulator $emulator -TenantId $t -Roles $appRoles -AsPlainText) }
    }
    $rows | Export-Csv -LiteralPath (Join-Path $Folder 'customers.csv') -NoTypeInformation
    Clear-EmulatorRequest -Emulator $emulator
}

# (Windows PowerShell 5.1's ConvertFrom-Json writes an array as one object: @() keeps it whole.)
$examples = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($ExamplesFile))
foreach ($example in @($examples)) {
    $folder = Join-Path $WorkRoot ($example.Id -replace '[^\w-]', '_')
    Initialize-World $folder
    $code = $example.Script.Replace('http://127.0.0.1:5099', $EmulatorUrl)
    Write-Line "@@@BEGIN $($example.Id)"
    try {
        # As at a console prompt: errors do not stop the script; all streams are shown.
        $ErrorActionPreference = 'Continue'
        # Streams shown as a console shows them (the host's prefixes); information records only
        # when the console would show them (Write-Host style, tagged PSHOST: $InformationPreference
        # stays SilentlyContinue). -WhatIf lines go to the host, which is this standard output.
        & ([scriptblock]::Create($code)) *>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.WarningRecord]) { "WARNING: $($_.Message)" }
            elseif ($_ -is [System.Management.Automation.VerboseRecord]) { "VERBOSE: $($_.Message)" }
            elseif ($_ -is [System.Management.Automation.DebugRecord]) { "DEBUG: $($_.Message)" }
            elseif ($_ -is [System.Management.Automation.InformationRecord]) { if ($_.Tags -contains 'PSHOST') { "$($_.MessageData)" } }
            else { $_ }
        } | Out-String -Stream -Width 120 | ForEach-Object { Write-Line $_ }
    } catch {
        # A terminating error ends the example as it ends a pasted script: the console shows it.
        $_ | Out-String -Stream -Width 120 | ForEach-Object { Write-Line $_ }
    } finally {
        $ErrorActionPreference = 'Stop'
    }
    Write-Line "@@@END $($example.Id)"
}
Set-Location -LiteralPath $WorkRoot
