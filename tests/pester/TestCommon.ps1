# Dot-sourced by every *.Tests.ps1 in BeforeAll: imports the assembled module (the way a user
# does) and the emulator helpers, and defines small helpers the tests share.
$ErrorActionPreference = 'Stop'
$script:ModuleFolder = $env:PHOTOPOLICY_TEST_MODULE
$script:EmulatorExe = $env:PHOTOPOLICY_TEST_EMULATOR
if (-not $script:ModuleFolder) { throw 'PHOTOPOLICY_TEST_MODULE is not set: run the tests through build.ps1 -Task Test (or Invoke-PesterTests.ps1).' }
$script:Manifest = Join-Path $script:ModuleFolder 'PhotoUpdatePolicy.psd1'
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
Import-Module $script:Manifest -Force
Import-Module (Join-Path $PSScriptRoot 'GraphEmulator.psm1') -Force

$script:Roles = @{
    Global = '62e90394-69f5-4237-9190-012177145e10'
    User   = 'fe930be7-5e62-47db-91af-98c3a49a38b1'
    People = '024906de-61e5-49c8-8572-40335f1e0e10'
    Tier1  = '4ba39ca4-527c-499a-b93d-d9b492c50246'
}

# A fresh tenant with a read/write token; returns the connection splat for the cmdlets.
function New-TestConnection {
    param($Emulator, [string[]] $Roles = @('PeopleSettings.ReadWrite.All'), [int] $ExpiresInSeconds = 3600)
    $tenant = [guid]::NewGuid().ToString()
    $token = New-EmulatorToken -Emulator $Emulator -TenantId $tenant -Roles $Roles -ExpiresInSeconds $ExpiresInSeconds
    @{ AccessToken = $token; GraphEndpoint = $Emulator.Url; AllowInsecureLoopback = $true; TenantId = $tenant }
}

# Graph requests for one tenant's policy, as "METHOD status".
function Get-PolicyRequest {
    param($Emulator)
    @(Get-EmulatorRequest -Emulator $Emulator | Where-Object { $_.path -like '/beta/admin/people/photoUpdateSettings*' })
}

# Runs a command and returns the ErrorRecord it wrote or threw (or $null).
function Get-ErrorRecord {
    param([scriptblock] $Script)
    $ErrorActionPreference = 'Stop'   # inherited by the script block's cmdlets
    try {
        & $Script | Out-Null
    } catch {
        return $_
    }
    $null
}

# The command line of a fresh PowerShell like this one (`dotnet pwsh` runs pwsh.dll).
function Get-PwshCommand {
    $process = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    @($process)
}
