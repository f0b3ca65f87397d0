# Module manifest for PhotoUpdatePolicy. build.ps1 stamps ModuleVersion from the root Cargo.toml
# ([workspace.package] version) when it assembles out/PhotoUpdatePolicy; do not edit it by hand.
#
# The root module is the binary module built for this edition of PowerShell: lib/net6.0 for
# PowerShell 7.2+ (.NET 6 and later: 7.2, 7.4, 7.6; Azure Automation's 7.2 runtime included),
# lib/net472 for Windows PowerShell 5.1 (docs/runtimes.md). Manifests may test $PSEdition;
# choosing here instead of in a script root module saves about 35 ms of Import-Module
# (docs/performance.md). The assembly's IModuleAssemblyInitializer loads the native library from
# runtimes/<rid>/native/ and checks its ABI version, so a broken install fails at Import-Module.
@{
    RootModule           = if ($PSEdition -eq 'Core') { 'lib/net6.0/PhotoUpdatePolicy.dll' } else { 'lib/net472/PhotoUpdatePolicy.dll' }
    ModuleVersion        = '0.0.0'
    CompatiblePSEditions = @('Core', 'Desktop')
    # net6.0 needs PowerShell 7.2 or later (.NET 6); PowerShell says so itself on 7.0 and 7.1.
    PowerShellVersion    = if ($PSEdition -eq 'Core') { '7.2' } else { '5.1' }
    GUID                 = '3b5d7c1e-8f2a-4d6b-9e0c-7a1f4b2d6c8e'
    Author               = 'PhotoUpdatePolicy contributors'
    CompanyName          = 'PhotoUpdatePolicy contributors'
    Copyright            = '(c) PhotoUpdatePolicy contributors. MIT License.'
    Description          = 'Manage the Microsoft Entra ID profile photo update policy (who may change profile photos, and whether photos come from the cloud or on-premises) through Microsoft Graph, without the Graph SDK.'

    # Explicit lists: no wildcards, so PowerShell can discover commands without importing.
    CmdletsToExport      = @(
        'Get-PhotoUpdatePolicy'
        'Set-PhotoUpdatePolicy'
        'Reset-PhotoUpdatePolicy'
        'Get-PhotoUpdatePolicyRole'
        'Export-PhotoUpdatePolicy'
        'Import-PhotoUpdatePolicy'
        'Test-PhotoUpdatePolicy'
        'Connect-PhotoUpdatePolicy'
        'Disconnect-PhotoUpdatePolicy'
        'Get-PhotoUpdatePolicyConnection'
        'Get-PhotoUpdateAccess'
        'Test-PhotoUpdateAccess'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()

    FormatsToProcess     = @('PhotoUpdatePolicy.format.ps1xml')

    # Update-Help reads PhotoUpdatePolicy_<GUID>_HelpInfo.xml and the HelpContent .zip from here:
    # build.ps1 writes them to out/updatable-help and each release carries them as assets.
    HelpInfoUri          = 'https://github.com/photoupdatepolicy/PhotoUpdatePolicy/releases/latest/download/'

    PrivateData          = @{
        PSData = @{
            Tags         = @('EntraID', 'AzureAD', 'Graph', 'MicrosoftGraph', 'ProfilePhoto', 'Microsoft365', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/photoupdatepolicy/PhotoUpdatePolicy/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/photoupdatepolicy/PhotoUpdatePolicy'
        }
    }
}
