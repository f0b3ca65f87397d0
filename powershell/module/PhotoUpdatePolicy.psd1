# Module manifest for PhotoUpdatePolicy. build.ps1 stamps ModuleVersion from the root Cargo.toml
# ([workspace.package] version) when it assembles out/PhotoUpdatePolicy; do not edit it by hand.
@{
    RootModule           = 'PhotoUpdatePolicy.psm1'
    ModuleVersion        = '0.0.0'
    CompatiblePSEditions = @('Core', 'Desktop')
    PowerShellVersion    = '5.1'
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
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()

    FormatsToProcess     = @('PhotoUpdatePolicy.format.ps1xml')

    PrivateData          = @{
        PSData = @{
            Tags         = @('EntraID', 'AzureAD', 'Graph', 'MicrosoftGraph', 'ProfilePhoto', 'Microsoft365', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/photoupdatepolicy/PhotoUpdatePolicy/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/photoupdatepolicy/PhotoUpdatePolicy'
        }
    }
}
