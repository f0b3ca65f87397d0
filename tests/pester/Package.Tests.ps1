# The package: tools/package/New-ModulePackage.ps1 packs the assembled module; the .nupkg installs
# from a local folder repository with PSResourceGet and with PowerShellGet (Install-Module's
# family), and the installed copy, imported by name in a fresh PowerShell, reads the policy from
# the Graph emulator. Needs PSResourceGet (inbox in PowerShell 7.4+); skipped on Windows PowerShell
# 5.1, where the packing step does not run in CI either.

BeforeDiscovery {
    $hasPSResourceGet = [bool](Get-Command Compress-PSResource -ErrorAction SilentlyContinue)
}

Describe 'Module package' -Skip:(-not $hasPSResourceGet) {
    BeforeAll {
        $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
        Import-Module (Join-Path $PSScriptRoot 'GraphEmulator.psm1') -Force
        $moduleFolder = $env:PHOTOPOLICY_TEST_MODULE
        $version = (Test-ModuleManifest -Path (Join-Path $moduleFolder 'PhotoUpdatePolicy.psd1')).Version.ToString()
        $work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-package-test-' + [guid]::NewGuid().ToString('N'))
        $packages = Join-Path $work 'packages'
        $installed = Join-Path $work 'modules'
        $savedV2 = Join-Path $work 'modules-v2'
        New-Item -ItemType Directory -Force -Path $installed, $savedV2 | Out-Null

        $nupkg = & (Join-Path $repo 'tools/package/New-ModulePackage.ps1') -ModuleFolder $moduleFolder -OutputFolder $packages 6>$null

        # The repository names are unique so a parallel run or a leftover never collides.
        $repoName = 'PupLocal' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Register-PSResourceRepository -Name $repoName -Uri $packages -Trusted
        Save-PSResource -Name PhotoUpdatePolicy -Repository $repoName -Path $installed -TrustRepository -Quiet

        # A fresh PowerShell of the same kind as this one (dotnet pwsh runs pwsh.dll through dotnet).
        $exe = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
        $pwsh = if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @($exe, (Join-Path $PSHOME 'pwsh.dll')) } else { @($exe) }

        $emulator = Start-GraphEmulator -Path $env:PHOTOPOLICY_TEST_EMULATOR
    }

    AfterAll {
        if ($emulator) { Stop-GraphEmulator -Emulator $emulator }
        if ($repoName) { Unregister-PSResourceRepository -Name $repoName -ErrorAction SilentlyContinue }
        if ($work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'is named after the module and the one project version' {
        $nupkg.Name | Should -Be "PhotoUpdatePolicy.$version.nupkg"
        $cargo = [System.IO.File]::ReadAllText((Join-Path $repo 'Cargo.toml'))
        $cargo | Should -Match ('\[workspace\.package\][^\[]*version\s*=\s*"' + [regex]::Escape($version) + '"')
    }

    It 'carries the gallery metadata: tags, license, project and release notes from CHANGELOG.md' {
        $found = Find-PSResource -Name PhotoUpdatePolicy -Repository $repoName
        $found.Version.ToString() | Should -Be $version
        foreach ($tag in 'Microsoft365', 'EntraID', 'AzureAD', 'Graph', 'ProfilePhoto', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS') {
            $found.Tags | Should -Contain $tag
        }
        [string]$found.LicenseUri | Should -Match '^https://'
        [string]$found.ProjectUri | Should -Match '^https://'
        $found.ReleaseNotes | Should -Match 'Get-PhotoUpdatePolicy'
    }

    It 'installs with PSResourceGet into a clean module path, with help and the native library' {
        $base = Join-Path $installed "PhotoUpdatePolicy/$version"
        Test-Path -LiteralPath (Join-Path $base 'PhotoUpdatePolicy.psd1') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $base 'en-US/PhotoUpdatePolicy.dll-Help.xml') | Should -BeTrue
        @(Get-ChildItem -LiteralPath (Join-Path $base 'runtimes') -Recurse -File | Where-Object { $_.Directory.Name -eq 'native' }) |
            Should -Not -BeNullOrEmpty
    }

    It 'installs with PowerShellGet (Install-Module family) from a folder repository' {
        $v2Name = 'PupGet' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Register-PSRepository -Name $v2Name -SourceLocation $packages -InstallationPolicy Trusted
        try {
            Save-Module -Name PhotoUpdatePolicy -Repository $v2Name -Path $savedV2
        } finally {
            Unregister-PSRepository -Name $v2Name -ErrorAction SilentlyContinue
        }
        Test-Path -LiteralPath (Join-Path $savedV2 "PhotoUpdatePolicy/$version/PhotoUpdatePolicy.psd1") | Should -BeTrue
    }

    It 'imports by name from the installed copy in a fresh PowerShell and reads the policy from the emulator' {
        $tenant = '00000000-0000-0000-0000-000000000ac6'
        $token = New-EmulatorToken -Emulator $emulator -TenantId $tenant -Roles 'PeopleSettings.Read.All' -AsPlainText
        $script = @'
param($ModulePath, $Url, $Token)
$ErrorActionPreference = 'Stop'
$env:PSModulePath = $ModulePath + [System.IO.Path]::PathSeparator + $env:PSModulePath
Import-Module PhotoUpdatePolicy
$policy = Get-PhotoUpdatePolicy -AccessToken $Token -GraphEndpoint $Url -AllowInsecureLoopback
[pscustomobject]@{
    ModuleBase = (Get-Module PhotoUpdatePolicy).ModuleBase
    Version = (Get-Module PhotoUpdatePolicy).Version.ToString()
    TenantId = $policy.TenantId
    Everyone = $policy.EveryoneCanChangePhoto
    Synopsis = (Get-Help Get-PhotoUpdatePolicy).Synopsis
} | ConvertTo-Json -Compress
'@
        $scriptPath = Join-Path $work 'use-installed.ps1'
        Set-Content -LiteralPath $scriptPath -Value $script -Encoding UTF8
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $scriptPath, $installed, $emulator.Url, $token)
        $output = & $pwsh[0] @arguments 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        $r = ($output | Select-Object -Last 1) | ConvertFrom-Json
        $r.ModuleBase | Should -BeLike "$installed*"
        $r.Version | Should -Be $version
        $r.TenantId | Should -Be $tenant
        $r.Everyone | Should -BeTrue
        $r.Synopsis | Should -Match 'photo update policy'
    }
}
