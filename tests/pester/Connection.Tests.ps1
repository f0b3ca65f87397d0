# Sign-in surfaced in PowerShell (issue 5): Connect-/Disconnect-PhotoUpdatePolicy,
# Get-PhotoUpdatePolicyConnection, and the same sign-in parameters on every Graph cmdlet, against
# the Graph emulator's sign-in, managed identity and device code routes.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    . (Join-Path $PSScriptRoot 'ConnectionCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-connect-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Ep = Get-EmulatorEndpoint -Emulator $script:Emulator
    $script:CanMakeCertificates = $PSVersionTable.PSEdition -eq 'Core'

    function Get-TokenRequestCount { @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -in 'token', 'msi' }).Count }
    function Get-GraphMethods { @(Get-PolicyRequest -Emulator $script:Emulator | ForEach-Object { $_.method }) }
}

AfterAll {
    Disconnect-PhotoUpdatePolicy
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
    Remove-Item -LiteralPath $script:Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Connect-PhotoUpdatePolicy: each way to sign in connects and reads the policy' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Disconnect-PhotoUpdatePolicy
        $script:Tenant = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud' }
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It 'an access token (SecureString): later cmdlets need no parameters' {
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant
        $c = Connect-PhotoUpdatePolicy -AccessToken $token @Ep -PassThru
        $c | Should -BeOfType ([PhotoUpdatePolicy.Connection])
        $c.AuthMode | Should -Be 'AccessToken'
        $c.TenantId | Should -Be $script:Tenant
        $c.Roles | Should -Be @('PeopleSettings.ReadWrite.All')
        $c.ExpiresOn | Should -BeGreaterThan ([datetimeoffset]::UtcNow.AddMinutes(50))
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        Set-PhotoUpdatePolicy -Source OnPremises -Confirm:$false
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant).source | Should -Be 'onPremises'
    }

    It 'an access token as a plain string (e.g. from Get-AzAccessToken)' {
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -AsPlainText
        Connect-PhotoUpdatePolicy -AccessToken $token @Ep
        (Get-PhotoUpdatePolicyConnection).AuthMode | Should -Be 'AccessToken'
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
    }

    It 'a client secret: signs in at Connect once, and every later cmdlet reuses the cached token' {
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -Secret 'secret-value-1'
        Clear-EmulatorRequest -Emulator $script:Emulator
        $secret = ConvertTo-SecureString 'secret-value-1' -AsPlainText -Force
        $c = Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $secret @Ep -PassThru
        Get-TokenRequestCount | Should -Be 1
        $c.AuthMode | Should -Be 'ClientSecret'
        $c.ClientId | Should -Be $script:AppId
        $c.CanChangePolicy | Should -BeTrue
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        Set-PhotoUpdatePolicy -AllowedRoles 'People Administrator' -Confirm:$false
        Reset-PhotoUpdatePolicy -Confirm:$false
        Get-TokenRequestCount | Should -Be 1
        Get-GraphMethods | Should -Contain 'PATCH'
    }

    It 'a client secret as a PSCredential (user name = client ID)' {
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -Secret 'secret-value-2'
        $cred = [pscredential]::new($script:AppId, (ConvertTo-SecureString 'secret-value-2' -AsPlainText -Force))
        Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientSecretCredential $cred @Ep
        (Get-PhotoUpdatePolicyConnection).ClientId | Should -Be $script:AppId
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
    }

    Context 'certificates' {
        BeforeEach {
            if (-not $script:CanMakeCertificates) { Set-ItResult -Skipped -Because 'the test certificates are made with .NET 5+ APIs' }
            $script:Cert = New-TestCertificate -Folder $script:Work
            Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -CertificatePem $script:Cert.CertificatePem
        }

        It 'from a PEM file holding the certificate and its key' {
            $c = Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificatePath $script:Cert.PemPath @Ep -PassThru
            $c.AuthMode | Should -Be 'Certificate'
            $c.CertificateThumbprint | Should -Be $script:Cert.Certificate.Thumbprint
            (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        }

        It 'from a PFX file with its password' {
            Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificatePath $script:Cert.PfxPath -CertificatePassword $script:Cert.PfxPassword @Ep
            (Get-PhotoUpdatePolicyConnection).CertificateThumbprint | Should -Be $script:Cert.Certificate.Thumbprint
            (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        }

        It 'from an X509Certificate2 made with CertificateRequest' {
            Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -Certificate $script:Cert.Certificate @Ep
            (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            $assertions = @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'token' })
            $assertions.Count | Should -Be 1
            $assertions[0].status | Should -Be 200
        }

        It 'from the CurrentUser\My store by thumbprint (spaces as copied from the certificate dialog)' {
            $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
            $store.Open('ReadWrite')
            # Re-open from the PFX with an exportable, persisted key so the store keeps the key.
            $withKey = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($script:Cert.PfxPath, $script:Cert.PfxPasswordText, 'Exportable,PersistKeySet,UserKeySet')
            $store.Add($withKey)
            try {
                $spaced = ($script:Cert.Certificate.Thumbprint -split '(..)' -ne '') -join ' '
                $c = Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificateThumbprint $spaced @Ep -PassThru
                $c.CertificateThumbprint | Should -Be $script:Cert.Certificate.Thumbprint
                (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            } finally {
                $store.Remove($withKey)
                $store.Dispose()
            }
        }

        It 'an unknown thumbprint: CertificateNotFound naming it and the stores' {
            $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificateThumbprint ('AB' * 20) @Ep }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.CertificateNotFound,*'
            $err.Exception.Message | Should -Match ('AB' * 20)
            $err.Exception.Message | Should -Match 'CurrentUser\\My'
        }

        It 'a PFX with the wrong password: a clear error naming the file, nothing sent' {
            Clear-EmulatorRequest -Emulator $script:Emulator
            $bad = ConvertTo-SecureString 'not-the-password' -AsPlainText -Force
            $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificatePath $script:Cert.PfxPath -CertificatePassword $bad @Ep }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.CertificateFileInvalid,*'
            $err.Exception.Message | Should -Match ([regex]::Escape($script:Cert.PfxPath))
            @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
        }

        It 'from an X509Certificate2 whose PFX was loaded without the Exportable flag: Connect, then Get-PhotoUpdatePolicy' {
            $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::EphemeralKeySet
            $loaded = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($script:Cert.PfxPath, $script:Cert.PfxPasswordText, $flags)
            try {
                $c = Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -Certificate $loaded @Ep -PassThru
                $c.CertificateThumbprint | Should -Be $loaded.Thumbprint
                (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
                $token = @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'token' })
                $token.Count | Should -Be 1
                $token[0].status | Should -Be 200
                $token[0].body | Should -Match 'client_assertion'
                # The certificate stays the caller's: the module neither disposed nor changed it.
                $loaded.HasPrivateKey | Should -BeTrue
            } finally {
                $loaded.Dispose()
            }
        }

        It 'a key that refuses every export signs in where it lives (the module''s signer, through reflection)' {
            # Keys loaded on Linux are always exportable, so a key that is not is made here: it signs
            # through the real key it wraps and throws on any private export, counting the attempts.
            if (-not ('PupTests.NonExportableRsa' -as [type])) {
                Add-Type -TypeDefinition @'
namespace PupTests {
    using System.Security.Cryptography;
    public sealed class NonExportableRsa : RSA {
        private readonly RSA inner;
        public NonExportableRsa(RSA inner) { this.inner = inner; KeySizeValue = inner.KeySize; }
        public int PrivateExports;
        public int Signatures;
        public override RSAParameters ExportParameters(bool includePrivateParameters) {
            if (includePrivateParameters) { PrivateExports++; throw new CryptographicException("The key is not exportable."); }
            return inner.ExportParameters(false);
        }
        public override void ImportParameters(RSAParameters parameters) { throw new CryptographicException("No import."); }
        public override byte[] SignHash(byte[] hash, HashAlgorithmName name, RSASignaturePadding padding) { Signatures++; return inner.SignHash(hash, name, padding); }
        public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName name, RSASignaturePadding padding) { return inner.VerifyHash(hash, signature, name, padding); }
    }
}
'@
            }
            $key = [PupTests.NonExportableRsa]::new([System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($script:Cert.Certificate))
            { $key.ExportPkcs8PrivateKey() } | Should -Throw
            { $key.ExportRSAPrivateKey() } | Should -Throw
            $exportsBefore = $key.PrivateExports

            $assembly = [PhotoUpdatePolicy.Commands.GraphCmdlet].Assembly
            $any = [System.Reflection.BindingFlags]'Static,Instance,NonPublic,Public'
            $signerType = $assembly.GetType('PhotoUpdatePolicy.Internal.CertificateSigner', $true)
            $signer = $signerType.GetConstructors($any)[0].Invoke(@($script:Cert.Certificate, [System.Security.Cryptography.RSA]$key, $null))
            [string] $config = @{
                tenantId = $script:Tenant; graphEndpoint = $script:Emulator.Url; authorityEndpoint = $script:Emulator.Url
                allowInsecureLoopback = $true
                auth = @{ mode = 'certificate'; clientId = $script:AppId; certificatePem = $signerType.GetProperty('CertificatePem', $any).GetValue($signer) }
            } | ConvertTo-Json -Compress
            $native = $assembly.GetType('PhotoUpdatePolicy.Native.NativeMethods', $true)
            $client = $signerType.GetMethod('NewClient', $any).Invoke($null, @($config, $signer))
            $ctx = $native.GetMethod('pup_call_context_new', $any).Invoke($null, @($null, [IntPtr]::Zero))
            try {
                $arguments = [object[]]@($client, $ctx, $null, $null)
                $status = $native.GetMethod('pup_client_connect', $any).Invoke($null, $arguments)
                $status | Should -Be 0 -Because 'the sign-in with the non-exportable key succeeds'
                $arguments[2].Dispose()
                $key.Signatures | Should -Be 1
                $key.PrivateExports | Should -Be $exportsBefore -Because 'the module never asked for the private key'
                $token = @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'token' })
                $token.Count | Should -Be 1
                $token[0].status | Should -Be 200
            } finally {
                $ctx.Dispose()
                $client.Dispose()
            }
        }

        It 'an expired certificate: Unauthorized naming its dates, nothing sent' {
            $old = New-TestCertificate -Folder $script:Work -NotBefore ([datetime]::UtcNow.AddDays(-60)) -NotAfter ([datetime]::UtcNow.AddDays(-1))
            Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -CertificatePem $old.CertificatePem
            Clear-EmulatorRequest -Emulator $script:Emulator
            $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificatePath $old.PemPath @Ep }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Unauthorized,*'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $err.Exception.Message | Should -Match 'expired'
            @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
            Get-PhotoUpdatePolicyConnection | Should -BeNullOrEmpty
        }
    }

    Context 'a key that cannot be exported, in the Windows certificate store' {
        It 'a non-exportable <Kind> key signs in by thumbprint and Get-PhotoUpdatePolicy works' -ForEach @(
            @{ Kind = 'CNG'; Provider = 'Microsoft Software Key Storage Provider'; KeySpec = $null }
            @{ Kind = 'CryptoAPI'; Provider = 'Microsoft Enhanced RSA and AES Cryptographic Provider'; KeySpec = 'Signature' }
        ) {
            $onWindows = $PSVersionTable.PSEdition -eq 'Desktop' -or $IsWindows
            if (-not $onWindows -or -not (Get-Command New-SelfSignedCertificate -ErrorAction SilentlyContinue)) {
                Set-ItResult -Skipped -Because 'New-SelfSignedCertificate -KeyExportPolicy NonExportable needs the Windows certificate store (this runs in the Windows workflow jobs; elsewhere tests/net472 and the reflection test above sign with a key that refuses export)'
                return
            }
            $made = @{
                Subject = "CN=PhotoUpdatePolicy non-exportable $Kind $([guid]::NewGuid().ToString('N'))"
                CertStoreLocation = 'Cert:\CurrentUser\My'; KeyExportPolicy = 'NonExportable'
                KeyAlgorithm = 'RSA'; KeyLength = 2048; Provider = $Provider; NotAfter = (Get-Date).AddDays(2)
            }
            if ($KeySpec) { $made.KeySpec = $KeySpec }
            $thumbprint = (New-SelfSignedCertificate @made).Thumbprint
            try {
                # Read back from the store in this session (PKI may answer through a compatibility session).
                $cert = Get-Item -LiteralPath "Cert:\CurrentUser\My\$thumbprint"
                $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($cert)
                { $key.ExportParameters($true) } | Should -Throw -Because 'the store marked the key non-exportable'
                $pem = "-----BEGIN CERTIFICATE-----`n" + [Convert]::ToBase64String($cert.RawData, 'InsertLineBreaks') + "`n-----END CERTIFICATE-----`n"
                Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -CertificatePem $pem
                $c = Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificateThumbprint $cert.Thumbprint @Ep -PassThru
                $c.CertificateThumbprint | Should -Be $cert.Thumbprint
                (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            } finally {
                Disconnect-PhotoUpdatePolicy
                Remove-Item -LiteralPath "Cert:\CurrentUser\My\$thumbprint" -DeleteKey -ErrorAction SilentlyContinue
            }
        }
    }

    Context 'managed identity' {
        It 'App Service / Automation style, expires_on as a <Expiry>' -ForEach @(@{ Expiry = 'string' }, @{ Expiry = 'number' }) {
            Set-EmulatorProfile -Emulator $script:Emulator -Settings @{ expiresOn = $Expiry }
            Set-EmulatorManagedIdentity -Emulator $script:Emulator -TenantId $script:Tenant -IdentityHeader 'identity-header-value'
            $vars = $script:NoManagedIdentityHost.Clone()
            $vars.IDENTITY_ENDPOINT = "$($script:Emulator.Url)/msi/token"
            $vars.IDENTITY_HEADER = 'identity-header-value'
            Invoke-WithEnvironment $vars {
                $c = Connect-PhotoUpdatePolicy -Identity @Ep -PassThru
                $c.AuthMode | Should -Be 'ManagedIdentity'
                $c.TenantId | Should -Be $script:Tenant
                $c.ExpiresOn | Should -BeGreaterThan ([datetimeoffset]::UtcNow.AddMinutes(50))
                (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            }
        }

        It 'App Service style, user-assigned by client ID' {
            $ua = '3f2e1d0c-9b8a-4765-8432-10fedcba9876'
            Set-EmulatorManagedIdentity -Emulator $script:Emulator -TenantId $script:Tenant -IdentityHeader 'h2' -UserAssigned @(@{ clientId = $ua; roles = @('PeopleSettings.Read.All') })
            $vars = $script:NoManagedIdentityHost.Clone()
            $vars.IDENTITY_ENDPOINT = "$($script:Emulator.Url)/msi/token"
            $vars.IDENTITY_HEADER = 'h2'
            Invoke-WithEnvironment $vars {
                $c = Connect-PhotoUpdatePolicy -Identity -ManagedIdentityClientId $ua @Ep -PassThru
                $c.Roles | Should -Be @('PeopleSettings.Read.All')
                $c.CanChangePolicy | Should -BeFalse
                (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            }
            $msi = @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'msi' })
            $msi[0].query | Should -Match $ua
        }

        It 'Azure VM (IMDS) style, with the endpoint overridden' {
            Set-EmulatorManagedIdentity -Emulator $script:Emulator -TenantId $script:Tenant
            $vars = $script:NoManagedIdentityHost.Clone()
            $vars.PHOTOPOLICY_IMDS_ENDPOINT = "$($script:Emulator.Url)/metadata/identity/oauth2/token"
            Invoke-WithEnvironment $vars {
                $c = Connect-PhotoUpdatePolicy -Identity @Ep -PassThru
                $c.TenantId | Should -Be $script:Tenant
                (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            }
            @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'msi' })[0].path | Should -Be '/metadata/identity/oauth2/token'
        }

        It 'Azure Arc style: the challenge key file in the token folder' {
            $keyDir = Join-Path $script:Work ('arc-' + [guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $keyDir | Out-Null
            Set-EmulatorManagedIdentity -Emulator $script:Emulator -TenantId $script:Tenant -ArcKeyDir $keyDir
            $vars = $script:NoManagedIdentityHost.Clone()
            $vars.IDENTITY_ENDPOINT = "$($script:Emulator.Url)/arc/metadata/identity/oauth2/token"
            $vars.IMDS_ENDPOINT = 'http://localhost:40342'
            $vars.PHOTOPOLICY_ARC_TOKEN_DIR = $keyDir
            Invoke-WithEnvironment $vars {
                Connect-PhotoUpdatePolicy -Identity @Ep
                (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            }
            $statuses = @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'msi' } | ForEach-Object { $_.status })
            $statuses | Should -Be @(401, 200)
        }
    }

    Context 'device code' {
        BeforeEach {
            Set-EmulatorProfile -Emulator $script:Emulator -Settings @{ deviceCodeInterval = 1 }
            $script:Ps = [powershell]::Create()
            $null = $script:Ps.AddScript({
                    param($Manifest, $Tenant, $Url)
                    Import-Module $Manifest
                    Connect-PhotoUpdatePolicy -DeviceCode -TenantId $Tenant -GraphEndpoint $Url -AuthorityEndpoint $Url -AllowInsecureLoopback -PassThru 6>&1
                }).AddArgument($script:Manifest).AddArgument($script:Tenant).AddArgument($script:Emulator.Url)
        }
        AfterEach { $script:Ps.Dispose() }

        It 'approved while Connect waits: the message is shown, the user is connected' {
            $handle = $script:Ps.BeginInvoke()
            $code = Wait-EmulatorUserCode -Emulator $script:Emulator
            Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/devicecode/approve' -Body @{
                userCode = $code; tenantId = $script:Tenant; wids = @($script:Roles.People); upn = 'admin@contoso.test'
            } | Out-Null
            $out = @($script:Ps.EndInvoke($handle))
            $script:Ps.Streams.Error | Should -BeNullOrEmpty
            $info = @($out | Where-Object { $_ -is [System.Management.Automation.InformationRecord] })
            ($info | ForEach-Object { "$($_.MessageData)" }) -join "`n" | Should -Match ([regex]::Escape($code))
            $c = $out | Where-Object { $_ -is [PhotoUpdatePolicy.Connection] }
            $c.AuthMode | Should -Be 'DeviceCode'
            $c.Account | Should -Be 'admin@contoso.test'
            $c.ClientId | Should -Be '14d82eec-204b-4c2f-b7e8-296a70dab67e'
            @($c.DirectoryRoles.Name) | Should -Contain 'People Administrator'
            # The connection is the session's (process-wide): this runspace uses it too.
            (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        }

        It 'declined: AADSTS70000 / authorization_declined, not connected' {
            $handle = $script:Ps.BeginInvoke()
            $code = Wait-EmulatorUserCode -Emulator $script:Emulator
            Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/devicecode/decline' -Body @{ userCode = $code } | Out-Null
            $null = $script:Ps.EndInvoke($handle)
            $err = $script:Ps.Streams.Error[0]
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Unauthorized,*'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
            "$($err.Exception.Code) $($err.Exception.Message)" | Should -Match 'authorization_declined|AADSTS70000'
            Get-PhotoUpdatePolicyConnection | Should -BeNullOrEmpty
        }

        It 'cancelled (Ctrl+C) while waiting: returns promptly, not connected' {
            $handle = $script:Ps.BeginInvoke()
            $null = Wait-EmulatorUserCode -Emulator $script:Emulator
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $script:Ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
            $handle.IsCompleted | Should -BeTrue
            Get-PhotoUpdatePolicyConnection | Should -BeNullOrEmpty
        }
    }
}

Describe 'Sign-in failures give clear errors with the AADSTS or Graph code' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Disconnect-PhotoUpdatePolicy
        $script:Tenant = [guid]::NewGuid().ToString()
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -Secret 'right-secret'
        Clear-EmulatorRequest -Emulator $script:Emulator
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It 'a wrong secret fails at Connect: Unauthorized, AADSTS7000215, recommended action' {
        $bad = ConvertTo-SecureString 'wrong-secret' -AsPlainText -Force
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $bad @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Unauthorized,*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception.Aadsts | Should -Be 'AADSTS7000215'
        $err.Exception.Message | Should -Match 'AADSTS7000215'
        $err.ErrorDetails.RecommendedAction | Should -Match 'secret'
        Get-PhotoUpdatePolicyConnection | Should -BeNullOrEmpty
    }

    It 'an unknown app: AADSTS700016' {
        $secret = ConvertTo-SecureString 'right-secret' -AsPlainText -Force
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId ([guid]::NewGuid()) -ClientSecret $secret @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Unauthorized,*'
        $err.Exception.Aadsts | Should -Be 'AADSTS700016'
    }

    It 'an expired access token fails at Connect' {
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -ExpiresInSeconds -600
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -AccessToken $token @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Unauthorized,*'
        $err.Exception.Message | Should -Match 'expired'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It 'a missing write permission: Set and Reset fail before sending, naming PeopleSettings.ReadWrite.All' {
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -Secret 'right-secret' -Roles 'PeopleSettings.Read.All'
        $secret = ConvertTo-SecureString 'right-secret' -AsPlainText -Force
        Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $secret @Ep
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud' }
        Clear-EmulatorRequest -Emulator $script:Emulator
        foreach ($command in { Set-PhotoUpdatePolicy -Source OnPremises -Confirm:$false }, { Reset-PhotoUpdatePolicy -Confirm:$false }) {
            $err = Get-ErrorRecord $command
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden,*'
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err.Exception.Message | Should -Match 'PeopleSettings.ReadWrite.All'
            $err.ErrorDetails.RecommendedAction | Should -Match 'admin consent'
        }
        Get-GraphMethods | Should -Not -Contain 'PATCH'
        Get-GraphMethods | Should -Not -Contain 'DELETE'
        # Reading is allowed; nothing changed.
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
    }
}

Describe 'Every Graph cmdlet takes the sign-in parameters itself' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Disconnect-PhotoUpdatePolicy
        $script:Tenant = [guid]::NewGuid().ToString()
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -Secret 'one-off-secret'
        $script:Secret = ConvertTo-SecureString 'one-off-secret' -AsPlainText -Force
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It 'one-off client secret sign-in on Get/Set without a session connection' {
        $p = @{ TenantId = $script:Tenant; ClientId = $script:AppId; ClientSecret = $script:Secret } + $script:Ep
        Set-PhotoUpdatePolicy @p -Source OnPremises -Confirm:$false
        (Get-PhotoUpdatePolicy @p).Source | Should -Be 'OnPremises'
        Get-PhotoUpdatePolicyConnection | Should -BeNullOrEmpty
    }

    It 'one-off sign-ins with the same parameters sign in once; other parameters and Disconnect start afresh' {
        $p = @{ TenantId = $script:Tenant; ClientId = $script:AppId; ClientSecret = $script:Secret } + $script:Ep
        Clear-EmulatorRequest -Emulator $script:Emulator
        1..3 | ForEach-Object { (Get-PhotoUpdatePolicy @p).TenantId | Should -Be $script:Tenant }
        Get-TokenRequestCount | Should -Be 1
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object route -EQ 'graph').Count | Should -Be 3

        # Another secret is another sign-in (and is refused: the kept client is not used for it).
        $wrong = ConvertTo-SecureString 'not-the-secret' -AsPlainText -Force
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $wrong @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.*'
        Get-TokenRequestCount | Should -Be 2

        # Other limits make another client; the first is still kept.
        $null = Get-PhotoUpdatePolicy @p -TimeoutSec 30
        Get-TokenRequestCount | Should -Be 3
        $null = Get-PhotoUpdatePolicy @p
        Get-TokenRequestCount | Should -Be 3

        # Disconnect forgets kept clients: the next call signs in again.
        Disconnect-PhotoUpdatePolicy -Verbose 4>&1 | Out-String | Should -Match 'Forgot \d+ signed-in client'
        $null = Get-PhotoUpdatePolicy @p
        Get-TokenRequestCount | Should -Be 4
    }

    It 'not connected and no parameters: NotConnected naming Connect-PhotoUpdatePolicy' {
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotConnected,*'
        $err.Exception.Message | Should -Match 'Connect-PhotoUpdatePolicy'
    }

    It 'two ways to sign in at once: ConflictingSignIn naming both' {
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -AccessToken 'x' -Identity @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ConflictingSignIn,*'
        $err.Exception.Message | Should -Match '-AccessToken and -Identity'
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -ClientSecret $script:Secret -TenantId $script:Tenant @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.IncompleteSignIn,*'
        $err.Exception.Message | Should -Match '-ClientId'
    }

    It 'a tenant other than the connected one: a token''s connection says ConnectionMismatch, nothing sent; an app''s signs in there' {
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant
        Connect-PhotoUpdatePolicy -AccessToken $token @Ep
        Clear-EmulatorRequest -Emulator $script:Emulator
        $other = [guid]::NewGuid().ToString()
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -TenantId $other }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ConnectionMismatch,*'
        $err.Exception.Message | Should -Match $other
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
        # The connected tenant by ID works, and piping Get into Set keeps the connection.
        Get-PhotoUpdatePolicy -TenantId $script:Tenant | Set-PhotoUpdatePolicy -Source Cloud -Confirm:$false
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant).source | Should -Be 'cloud'
        # An app connection reaches another tenant the app is registered in, with the same app.
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $other -Secret 'one-off-secret'
        Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $script:Secret @Ep
        (Get-PhotoUpdatePolicy -TenantId $other).TenantId | Should -Be $other
    }

    It 'Disconnect frees the connection; disconnecting twice is not an error' {
        Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $script:Secret @Ep
        $gone = Disconnect-PhotoUpdatePolicy -PassThru
        $gone.TenantId | Should -Be $script:Tenant
        Get-PhotoUpdatePolicyConnection | Should -BeNullOrEmpty
        (Get-ErrorRecord { Get-PhotoUpdatePolicy }).FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotConnected,*'
        { Disconnect-PhotoUpdatePolicy } | Should -Not -Throw
    }

    It '-Verbose shows the sign-in request line and status, not the secret' {
        $lines = @(Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $script:Secret @Ep -Verbose 4>&1 | ForEach-Object { "$_" })
        ($lines -join "`n") | Should -Match "POST http://127\.0\.0\.1:\d+/$($script:Tenant)/oauth2/v2\.0/token → 200"
        ($lines -join "`n") | Should -Not -Match 'one-off-secret'
    }

    It 'Environment must match the connection''s cloud' {
        Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $script:Secret @Ep
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -Environment USGov }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ConnectionMismatch,*'
        (Get-PhotoUpdatePolicyConnection).Cloud | Should -Be 'Global'
    }
}
