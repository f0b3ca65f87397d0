# Secrets never leak (issue 5): every cmdlet, with every way to sign in, run with -Verbose -Debug
# and every stream captured (*>&1), plus $Error, exception texts, ToString/Format-List of every
# output object, Get-PhotoUpdatePolicyConnection, ConvertTo-Json of all of it and the exported
# document: no client secret, PFX password, private key, identity header, Arc key, minted or
# self-made token, and no JWT at all (tokens and client assertions are JWTs) may appear.
BeforeDiscovery {
    $script:ModeNames = @('access token (SecureString)', 'access token (string)', 'client secret', 'client secret credential',
        'managed identity (App Service)', 'managed identity (VM IMDS)', 'managed identity (Arc)', 'device code',
        'federated token', 'federated token file', 'environment variables (client secret)')
    if ($PSVersionTable.PSEdition -eq 'Core') {
        # The test certificate is made with .NET 5+ APIs.
        $script:ModeNames += @('certificate (PEM file)', 'certificate (PFX file)', 'certificate (X509Certificate2)')
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    . (Join-Path $PSScriptRoot 'ConnectionCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-secrets-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Ep = Get-EmulatorEndpoint -Emulator $script:Emulator
    $script:Tenant = [guid]::NewGuid().ToString()
    $script:ArcDir = Join-Path $script:Work 'arc'
    New-Item -ItemType Directory -Path $script:ArcDir | Out-Null

    $script:ClientSecretText = 'Cs~' + [guid]::NewGuid().ToString('N') + '.Zz'
    $script:IdentityHeaderText = 'ih-' + [guid]::NewGuid().ToString('N')
    Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -Secret $script:ClientSecretText
    Set-EmulatorManagedIdentity -Emulator $script:Emulator -TenantId $script:Tenant -IdentityHeader $script:IdentityHeaderText -ArcKeyDir $script:ArcDir
    Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud' }
    Set-EmulatorProfile -Emulator $script:Emulator -Settings @{ deviceCodeInterval = 1 }
    $script:MintedToken = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -AsPlainText
    # A token we made ourselves (not signed by the emulator): refused, and must not leak in errors.
    $b64 = { param($s) [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($s)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
    $script:SelfMadeToken = (& $b64 '{"alg":"RS256","typ":"JWT"}') + '.' + (& $b64 ('{"tid":"' + $script:Tenant + '","roles":["PeopleSettings.ReadWrite.All"],"exp":4102444800,"aud":"https://graph.microsoft.com"}')) + '.c2lnbmF0dXJl'

    $script:Secrets = [System.Collections.Generic.List[string]]::new()
    $script:Secrets.AddRange([string[]]@($script:ClientSecretText, $script:IdentityHeaderText, $script:MintedToken, $script:SelfMadeToken))
    $script:Modes = [ordered]@{
        'access token (SecureString)' = @{ AccessToken = (ConvertTo-SecureString $script:MintedToken -AsPlainText -Force) }
        'access token (string)'       = @{ AccessToken = $script:MintedToken }
        'client secret'               = @{ TenantId = $script:Tenant; ClientId = $script:AppId; ClientSecret = (ConvertTo-SecureString $script:ClientSecretText -AsPlainText -Force) }
        'client secret credential'    = @{ TenantId = $script:Tenant; ClientSecretCredential = [pscredential]::new($script:AppId, (ConvertTo-SecureString $script:ClientSecretText -AsPlainText -Force)) }
        'managed identity (App Service)' = @{ Identity = $true }
        'managed identity (VM IMDS)'     = @{ Identity = $true }
        'managed identity (Arc)'         = @{ Identity = $true }
        'device code'                    = @{ DeviceCode = $true; TenantId = $script:Tenant }
    }
    # Workload identity: an app that trusts an external issuer, and that issuer's token.
    $script:FedAppId = '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f'
    Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/apps' -Body @{ tenantId = $script:Tenant; clientId = $script:FedAppId
        roles = @('PeopleSettings.ReadWrite.All'); federatedCredentials = @(@{ issuer = 'https://token.actions.githubusercontent.com'; subject = 'repo:contoso/p:ref:refs/heads/main' }) } | Out-Null
    $script:ExternalToken = (Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/federated/tokens' -Body @{
            issuer = 'https://token.actions.githubusercontent.com'; subject = 'repo:contoso/p:ref:refs/heads/main'; expiresInSeconds = 3600 }).token
    $script:ExternalTokenFile = Join-Path $script:Work 'federated-token'
    Set-Content -LiteralPath $script:ExternalTokenFile -Value $script:ExternalToken -NoNewline
    $script:Secrets.Add($script:ExternalToken)
    $script:Modes['federated token'] = @{ TenantId = $script:Tenant; ClientId = $script:FedAppId; FederatedToken = $script:ExternalToken }
    $script:Modes['federated token file'] = @{ TenantId = $script:Tenant; ClientId = $script:FedAppId; FederatedTokenFile = $script:ExternalTokenFile }
    $script:Modes['environment variables (client secret)'] = @{ EnvironmentVariable = $true }

    $script:ModeEnvironment = @{
        'environment variables (client secret)' = @{ AZURE_TENANT_ID = $script:Tenant; AZURE_CLIENT_ID = $script:AppId; AZURE_CLIENT_SECRET = $script:ClientSecretText }
        'managed identity (App Service)' = @{ IDENTITY_ENDPOINT = "$($script:Emulator.Url)/msi/token"; IDENTITY_HEADER = $script:IdentityHeaderText }
        'managed identity (VM IMDS)'     = @{ PHOTOPOLICY_IMDS_ENDPOINT = "$($script:Emulator.Url)/metadata/identity/oauth2/token" }
        'managed identity (Arc)'         = @{ IDENTITY_ENDPOINT = "$($script:Emulator.Url)/arc/metadata/identity/oauth2/token"; IMDS_ENDPOINT = 'http://localhost:40342'; PHOTOPOLICY_ARC_TOKEN_DIR = $script:ArcDir }
    }
    if ($PSVersionTable.PSEdition -eq 'Core') {
        $cert = New-TestCertificate -Folder $script:Work
        # Another app in the same tenant signs in with the certificate.
        $script:CertAppId = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -ClientId $script:CertAppId -CertificatePem $cert.CertificatePem
        $script:Modes['certificate (PEM file)'] = @{ TenantId = $script:Tenant; ClientId = $script:CertAppId; CertificatePath = $cert.PemPath }
        $script:Modes['certificate (PFX file)'] = @{ TenantId = $script:Tenant; ClientId = $script:CertAppId; CertificatePath = $cert.PfxPath; CertificatePassword = $cert.PfxPassword }
        $script:Modes['certificate (X509Certificate2)'] = @{ TenantId = $script:Tenant; ClientId = $script:CertAppId; Certificate = $cert.Certificate }
        $script:Secrets.Add($cert.PfxPasswordText)
        # Every line of the private key's base64 body is a secret.
        foreach ($line in $cert.KeyPem -split "`r?`n") {
            if ($line -and $line -notmatch '^-----') { $script:Secrets.Add($line) }
        }
    }

    # Approves every device code sign-in while the tests run (in its own runspace).
    $script:Approver = [powershell]::Create()
    $null = $script:Approver.AddScript({
            param($Url, $Tenant, $Role)
            while ($true) {
                try {
                    $codes = @((Invoke-RestMethod "$Url/_emulator/devicecode").userCodes)
                    foreach ($code in $codes) {
                        if ($code) {
                            $body = @{ userCode = $code; tenantId = $Tenant; wids = @($Role); upn = 'admin@contoso.test' } | ConvertTo-Json
                            Invoke-RestMethod -Method Post "$Url/_emulator/devicecode/approve" -ContentType application/json -Body $body | Out-Null
                        }
                    }
                } catch { }
                Start-Sleep -Milliseconds 100
            }
        }).AddArgument($script:Emulator.Url).AddArgument($script:Tenant).AddArgument($script:Roles.People)
    $script:ApproverHandle = $script:Approver.BeginInvoke()

    # Every text form of what a run produced.
    function ConvertTo-AllText {
        param([object[]] $Items)
        foreach ($item in $Items) {
            if ($null -eq $item) { continue }
            "$item"
            $item.ToString()
            ($item | Format-List * -Force | Out-String -Width 400)
            try { $item | ConvertTo-Json -Depth 4 -Compress -WarningAction SilentlyContinue } catch { "ConvertTo-Json failed: $_" }
            if ($item -is [System.Management.Automation.ErrorRecord]) {
                $item.Exception.ToString()
                $item.Exception.Message
                if ($item.ErrorDetails) { $item.ErrorDetails.Message; $item.ErrorDetails.RecommendedAction }
                $item.TargetObject | Out-String
                $item.Exception | Format-List * -Force | Out-String -Width 400
            }
            if ($item -is [System.Management.Automation.InformationRecord]) { "$($item.MessageData)" }
        }
    }

    function Assert-NoSecret {
        param([string[]] $Text, [string] $Mode)
        $all = $Text -join "`n"
        foreach ($secret in $script:Secrets) {
            $i = $all.IndexOf($secret)
            if ($i -ge 0) {
                $context = $all.Substring([Math]::Max(0, $i - 200), [Math]::Min(200, $i)).Replace($secret, '<SECRET>')
                throw "[$Mode] a secret leaked ('$($secret.Substring(0, [Math]::Min(6, $secret.Length)))…') after: $context"
            }
        }
        foreach ($file in Get-ChildItem -LiteralPath $script:ArcDir -Filter '*.key' -ErrorAction SilentlyContinue) {
            $key = (Get-Content -LiteralPath $file.FullName -Raw).Trim()
            if ($key -and $all.Contains($key)) { throw "[$Mode] the Arc key file's contents leaked." }
        }
        $jwt = [regex]::Match($all, 'eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.')
        if ($jwt.Success) {
            $at = [Math]::Max(0, $jwt.Index - 80)
            throw "[$Mode] a JWT (token or client assertion) appears in the output near: $($all.Substring($at, [Math]::Min(120, $all.Length - $at)))"
        }
        $all.Length | Should -BeGreaterThan 0
    }
}

AfterAll {
    if ($script:Approver) { $script:Approver.Stop(); $script:Approver.Dispose() }
    Disconnect-PhotoUpdatePolicy
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
    Remove-Item -LiteralPath $script:Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'No secret, token or client assertion appears anywhere' {
    BeforeEach { Disconnect-PhotoUpdatePolicy }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It 'every cmdlet, signed in with <_>, run with -Verbose -Debug' -ForEach $script:ModeNames {
        $mode = $_
        $p = $script:Modes[$mode] + $script:Ep
        $vars = $script:NoManagedIdentityHost.Clone()
        if ($script:ModeEnvironment.ContainsKey($mode)) { foreach ($k in $script:ModeEnvironment[$mode].Keys) { $vars[$k] = $script:ModeEnvironment[$mode][$k] } }
        $document = Join-Path $script:Work ("policy-" + [guid]::NewGuid().ToString('N') + '.json')
        $Error.Clear()
        # -Debug on a cmdlet that supports ShouldProcess makes PowerShell ask "Continue with this
        # operation?" at each debug message, which a non-interactive test host cannot answer: those
        # cmdlets get the debug stream from $DebugPreference instead (the same messages).
        $DebugPreference = 'Continue'
        $output = Invoke-WithEnvironment $vars {
            & {
                $c = Connect-PhotoUpdatePolicy @p -PassThru -Verbose -Debug
                $c
                $c.AuthMode | Should -Not -BeNullOrEmpty
                Get-PhotoUpdatePolicyConnection -Verbose -Debug
                Get-PhotoUpdatePolicy -Verbose -Debug
                Set-PhotoUpdatePolicy -Source Cloud -AddAllowedRole 'People Administrator' -PassThru -Confirm:$false -Verbose
                Set-PhotoUpdatePolicy -Source OnPremises -AllowedRoles @() -WhatIf -Verbose
                Export-PhotoUpdatePolicy -Path $document -Force -Verbose -Debug
                Test-PhotoUpdatePolicy -Path $document -Verbose -Debug
                Import-PhotoUpdatePolicy -Path $document -PassThru -Confirm:$false -Verbose
                Reset-PhotoUpdatePolicy -PassThru -Confirm:$false -Verbose
                Get-PhotoUpdatePolicyRole -Verbose -Debug | Select-Object -First 1
                # The same sign-in, one-off, without the session connection.
                Disconnect-PhotoUpdatePolicy -PassThru -Verbose -Debug
                Get-PhotoUpdatePolicy @p -Verbose -Debug
                Set-PhotoUpdatePolicy @p -Source Cloud -PassThru -Confirm:$false -Verbose
            } *>&1
        }
        $DebugPreference = 'SilentlyContinue'
        $output = @($output)
        @($output | Where-Object { $_ -is [PhotoUpdatePolicy.Connection] }).Count | Should -BeGreaterOrEqual 2
        @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 5
        @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        $text = @(ConvertTo-AllText $output) + @(ConvertTo-AllText @($Error)) + @(Get-Content -LiteralPath $document -Raw)
        Assert-NoSecret -Text $text -Mode $mode
        # The sign-in requests are shown (status and timing), the secrets are not.
        ($text -join "`n") | Should -Match '→ 200'
    }

    It 'a browser sign-in and its refreshes: no code, verifier, refresh token or token anywhere' {
        $browser = New-FakeBrowser -Folder $script:Work
        # Tokens of 2 minutes: every later call renews the session with the refresh token.
        $user = Start-BrowserUser -Emulator $script:Emulator -Approval @{ tenantId = $script:Tenant; wids = @($script:Roles.People); expiresInSeconds = 120 }
        $Error.Clear()
        $DebugPreference = 'Continue'
        try {
            $output = Invoke-WithEnvironment @{ BROWSER = $browser.Path } {
                & {
                    Connect-PhotoUpdatePolicy @Ep -PassThru -Verbose -Debug
                    Get-PhotoUpdatePolicyConnection -Verbose -Debug
                    Get-PhotoUpdatePolicy -Verbose -Debug
                    Set-PhotoUpdatePolicy -Source Cloud -PassThru -Confirm:$false -Verbose
                    Get-PhotoUpdatePolicy -Verbose -Debug
                } *>&1
            }
        }
        finally {
            $DebugPreference = 'SilentlyContinue'
            Stop-BrowserUser $user
        }
        $output = @($output)
        @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        $refreshes = @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.body -match 'grant_type=refresh_token' })
        $refreshes.Count | Should -BeGreaterOrEqual 2
        $text = @(ConvertTo-AllText $output) + @(ConvertTo-AllText @($Error))
        Assert-NoSecret -Text $text -Mode 'browser'
        # The emulator's codes start 0.AXoA, its refresh tokens 1.AXoA: neither may show.
        ($text -join "`n") | Should -Not -Match '[01]\.AXoA'
        ($text -join "`n") | Should -Not -Match 'code_verifier=|refresh_token='
    }

    It 'failed sign-ins: wrong secret, refused token, wrong PFX password, expired token' {
        $Error.Clear()
        $wrong = ConvertTo-SecureString ($script:ClientSecretText + 'x') -AsPlainText -Force
        $runs = @(
            { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -ClientSecret $wrong @Ep -Verbose -Debug }
            { Connect-PhotoUpdatePolicy -AccessToken $script:SelfMadeToken @Ep -Verbose -Debug; Get-PhotoUpdatePolicy -Verbose -Debug }
            { Get-PhotoUpdatePolicy -AccessToken $script:SelfMadeToken @Ep -Verbose -Debug }
            { Set-PhotoUpdatePolicy -AccessToken (New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -ExpiresInSeconds -60) -Source Cloud @Ep -Confirm:$false -Verbose }
            { Get-PhotoUpdatePolicy -TenantId $script:Tenant -ClientSecretCredential ([pscredential]::new($script:AppId, $wrong)) @Ep -Verbose -Debug }
        )
        if ($script:Modes.Contains('certificate (PFX file)')) {
            $pfx = $script:Modes['certificate (PFX file)'].CertificatePath
            $runs += { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:CertAppId -CertificatePath $pfx -CertificatePassword (ConvertTo-SecureString 'nope' -AsPlainText -Force) @Ep -Verbose -Debug }
        }
        $DebugPreference = 'Continue'
        $output = foreach ($run in $runs) {
            $before = $Error.Count
            $o = @(& { try { & $run } catch { $_ } } *>&1)
            if (-not @($o | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })) { throw "No error from: $run" }
            $o
        }
        $DebugPreference = 'SilentlyContinue'
        $errors = @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $errors.Count | Should -BeGreaterOrEqual $runs.Count
        $text = @(ConvertTo-AllText @($output)) + @(ConvertTo-AllText @($Error))
        Assert-NoSecret -Text $text -Mode 'failures'
        ($text -join "`n") | Should -Match 'AADSTS7000215'
    }
}
