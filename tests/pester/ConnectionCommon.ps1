# Dot-sourced by Connection.Tests.ps1 and Secrets.Tests.ps1 (after TestCommon.ps1): apps,
# certificates and managed identity set up in the Graph emulator for the sign-in tests.

$script:AppId = '7c1e2f4a-6b3d-4e5f-8a9b-0c1d2e3f4a5b'

# Endpoints of the emulator for every sign-in mode (Graph and the sign-in authority).
function Get-EmulatorEndpoint {
    param($Emulator)
    @{ GraphEndpoint = $Emulator.Url; AuthorityEndpoint = $Emulator.Url; AllowInsecureLoopback = $true }
}

# Registers an app with a secret or a certificate (PEM) in a tenant.
function Register-EmulatorApp {
    param($Emulator, [string] $TenantId, [string] $ClientId = $script:AppId, [string] $Secret, [string] $CertificatePem,
        [string[]] $Roles = @('PeopleSettings.ReadWrite.All'))
    $body = @{ tenantId = $TenantId; clientId = $ClientId; roles = @($Roles) }
    if ($Secret) { $body.secret = $Secret }
    if ($CertificatePem) { $body.certificatePem = $CertificatePem }
    Invoke-EmulatorApi -Emulator $Emulator -Method Post -Path '/_emulator/apps' -Body $body | Out-Null
}

# A self-signed RSA certificate made with .NET's CertificateRequest: the X509Certificate2 (with its
# key), the certificate PEM, a PEM file (certificate + PKCS#8 key), a PFX file and its password.
function New-TestCertificate {
    param([string] $Folder, [datetime] $NotBefore = [datetime]::UtcNow.AddDays(-1), [datetime] $NotAfter = [datetime]::UtcNow.AddDays(30))
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
        'CN=PhotoUpdatePolicy test app', $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256,
        [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $cert = $request.CreateSelfSigned([datetimeoffset]$NotBefore, [datetimeoffset]$NotAfter)
    $certPem = $cert.ExportCertificatePem()
    $keyPem = $rsa.ExportPkcs8PrivateKeyPem()
    $name = [guid]::NewGuid().ToString('N')
    $pemPath = Join-Path $Folder "$name.pem"
    Set-Content -LiteralPath $pemPath -Value ($certPem + "`n" + $keyPem) -NoNewline
    $password = 'pfx-' + [guid]::NewGuid().ToString('N')
    $pfxPath = Join-Path $Folder "$name.pfx"
    [System.IO.File]::WriteAllBytes($pfxPath, $cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $password))
    [pscustomobject]@{
        Certificate = $cert
        CertificatePem = $certPem
        KeyPem = $keyPem
        PemPath = $pemPath
        PfxPath = $pfxPath
        PfxPassword = (ConvertTo-SecureString $password -AsPlainText -Force)
        PfxPasswordText = $password
    }
}

# Runs a script block with environment variables set, restoring them afterwards.
function Invoke-WithEnvironment {
    param([hashtable] $Variables, [scriptblock] $Script)
    $saved = @{}
    foreach ($k in $Variables.Keys) {
        $saved[$k] = [Environment]::GetEnvironmentVariable($k)
        [Environment]::SetEnvironmentVariable($k, $Variables[$k])
    }
    try { & $Script } finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
}

# Every managed identity variable cleared, so the test names the host style itself.
$script:NoManagedIdentityHost = @{
    IDENTITY_ENDPOINT = $null; IDENTITY_HEADER = $null; IMDS_ENDPOINT = $null
    PHOTOPOLICY_IMDS_ENDPOINT = $null; PHOTOPOLICY_ARC_TOKEN_DIR = $null
}

function Set-EmulatorManagedIdentity {
    param($Emulator, [string] $TenantId, [string] $IdentityHeader, [string] $ArcKeyDir, [object[]] $UserAssigned,
        [string[]] $Roles = @('PeopleSettings.ReadWrite.All'))
    $body = @{ tenantId = $TenantId; roles = @($Roles) }
    if ($IdentityHeader) { $body.identityHeader = $IdentityHeader }
    if ($ArcKeyDir) { $body.arcKeyDir = $ArcKeyDir }
    if ($UserAssigned) { $body.userAssigned = @($UserAssigned) }
    Invoke-EmulatorApi -Emulator $Emulator -Method Post -Path '/_emulator/managed-identity' -Body $body | Out-Null
}

# Waits for the emulator to hold a pending device code; returns it.
function Wait-EmulatorUserCode {
    param($Emulator, [int] $TimeoutSeconds = 30)
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([datetime]::UtcNow -lt $deadline) {
        $codes = @((Invoke-EmulatorApi -Emulator $Emulator -Method Get -Path '/_emulator/devicecode').userCodes)
        if ($codes.Count -gt 0 -and $codes[0]) { return $codes[0] }
        Start-Sleep -Milliseconds 100
    }
    throw "No device code was requested within $TimeoutSeconds s."
}

# A stand-in for the system browser: $env:BROWSER names a script that opens (GETs) the URL the
# module hands it, as a browser would, and notes it in a file. Returns the script's path.
function New-FakeBrowser {
    param([string] $Folder)
    $log = Join-Path $Folder 'browser-urls.txt'
    $path = Join-Path $Folder 'fake-browser.sh'
    Set-Content -LiteralPath $path -Value "#!/bin/sh`necho `"`$1`" >> '$log'`ncurl -s -o /dev/null `"`$1`"`n" -NoNewline
    & chmod +x $path
    [pscustomobject]@{ Path = $path; Log = $log }
}

# The person at the browser, in a runspace of its own: approves (or declines) each pending
# authorization request in the emulator and follows the redirect to the module's loopback port.
function Start-BrowserUser {
    param($Emulator, [hashtable] $Approval = @{}, [switch] $Decline)
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
            param($Url, $Approval, $Decline)
            while ($true) {
                try {
                    foreach ($pending in @((Invoke-RestMethod "$Url/_emulator/authorize").pending)) {
                        if (-not $pending) { continue }
                        $body = @{} + $Approval
                        $body.state = $pending.state
                        $path = if ($Decline) { '/_emulator/authorize/decline' } else { '/_emulator/authorize/approve' }
                        if ($Decline) { $body = @{ state = $pending.state } }
                        $answer = Invoke-RestMethod -Method Post "$Url$path" -ContentType application/json -Body ($body | ConvertTo-Json)
                        Invoke-WebRequest -Uri $answer.redirectUrl -UseBasicParsing | Out-Null
                    }
                } catch { }
                Start-Sleep -Milliseconds 100
            }
        }).AddArgument($Emulator.Url).AddArgument($Approval).AddArgument([bool]$Decline)
    [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
}

function Stop-BrowserUser {
    param($User)
    if ($User) { $User.PowerShell.Stop(); $User.PowerShell.Dispose() }
}
