# Signing in the way admins already are (issue 15): the browser as Connect-PhotoUpdatePolicy's
# default, existing Microsoft Graph and Az sessions, every -AccessToken spelling, Connect-MgGraph's
# parameter names, workload identity (federated tokens, the AZURE_* variables), and one app
# connection serving many tenants. Everything against the Graph emulator; the browser and the
# person at it are played by a script ($env:BROWSER) and a runspace that approves in the emulator.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    . (Join-Path $PSScriptRoot 'ConnectionCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-signin-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Ep = Get-EmulatorEndpoint -Emulator $script:Emulator
    $script:Browser = New-FakeBrowser -Folder $script:Work
    $script:PublicClient = '14d82eec-204b-4c2f-b7e8-296a70dab67e'
    $script:Issuer = 'https://token.actions.githubusercontent.com'
    $script:Subject = 'repo:contoso/photo-policy:ref:refs/heads/main'

    function Get-TokenRequest { @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'token' -and $_.method -eq 'POST' }) }
    function New-ExternalToken([string] $Subject = $script:Subject, [int] $ExpiresInSeconds = 600) {
        (Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/federated/tokens' -Body @{ issuer = $script:Issuer; subject = $Subject; expiresInSeconds = $ExpiresInSeconds }).token
    }
    function Register-FederatedApp([string] $TenantId) {
        Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/apps' -Body @{
            tenantId = $TenantId; clientId = $script:AppId; roles = @('PeopleSettings.ReadWrite.All')
            federatedCredentials = @(@{ issuer = $script:Issuer; subject = $script:Subject })
        } | Out-Null
    }
    # Runs $Script with the fake browser and a person who approves with $Approval (or declines).
    function Invoke-WithBrowser([scriptblock] $Script, [hashtable] $Approval = @{}, [switch] $Decline) {
        $user = Start-BrowserUser -Emulator $script:Emulator -Approval $Approval -Decline:$Decline
        try { Invoke-WithEnvironment @{ BROWSER = $script:Browser.Path } $Script } finally { Stop-BrowserUser $user }
    }
    # $Base with $Extra's keys set (replacing any already there).
    function Merge-Variables([hashtable] $Base, [hashtable] $Extra) { $m = $Base.Clone(); foreach ($k in $Extra.Keys) { $m[$k] = $Extra[$k] }; $m }
    # Every text of a run's records, to look for leaks.
    function Get-AllText([object[]] $Items) {
        @(foreach ($i in $Items) {
                if ($null -eq $i) { continue }
                "$i"; ($i | Format-List * -Force | Out-String -Width 400)
                if ($i -is [System.Management.Automation.ErrorRecord]) { $i.Exception.ToString(); if ($i.ErrorDetails) { $i.ErrorDetails.Message; $i.ErrorDetails.RecommendedAction } }
                if ($i -is [System.Management.Automation.InformationRecord]) { "$($i.MessageData)" }
            }) -join "`n"
    }
}

AfterAll {
    Disconnect-PhotoUpdatePolicy
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
    Remove-Item -LiteralPath $script:Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Connect-PhotoUpdatePolicy signs a person in in the browser by default' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Disconnect-PhotoUpdatePolicy
        $script:Tenant = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud' }
        $script:Approve = @{ tenantId = $script:Tenant; wids = @($script:Roles.People); upn = 'admin@contoso.test' }
        Remove-Item -LiteralPath $script:Browser.Log -ErrorAction SilentlyContinue
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It 'no sign-in parameters: authorization code + PKCE through the browser, then silent refreshes' {
        # Tokens of 2 minutes are inside the 5-minute refresh margin: each later call refreshes.
        $approval = $script:Approve + @{ expiresInSeconds = 120 }
        $out = Invoke-WithBrowser -Approval $approval { @(& { Connect-PhotoUpdatePolicy @Ep -PassThru -Verbose } *>&1) }
        $c = $out | Where-Object { $_ -is [PhotoUpdatePolicy.Connection] }
        $c.AuthMode | Should -Be 'Browser'
        $c.Account | Should -Be 'admin@contoso.test'
        $c.TenantId | Should -Be $script:Tenant
        $c.ClientId | Should -Be $script:PublicClient

        # The browser got the authorize URL: organizations, the default public client, PKCE S256,
        # a loopback redirect; the URL is also a verbose line, and the user was told where to look.
        $url = @(Get-Content -LiteralPath $script:Browser.Log)[0]
        $url | Should -Match '^http://127\.0\.0\.1:\d+/organizations/oauth2/v2\.0/authorize\?'
        $url | Should -Match "client_id=$($script:PublicClient)"
        $url | Should -Match 'code_challenge_method=S256'
        $url | Should -Match 'redirect_uri=http%3A%2F%2Flocalhost%3A\d+%2F'
        (@($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n").Contains($url) | Should -BeTrue
        "$(@($out | Where-Object { $_ -is [System.Management.Automation.InformationRecord] }))" | Should -Match 'browser window'

        # Later calls renew the token with the refresh token, never the browser again.
        $all = @(& { Get-PhotoUpdatePolicy -Verbose; Get-PhotoUpdatePolicy -Verbose; Get-PhotoUpdatePolicyConnection } *>&1)
        @($all | Where-Object { $_ -is [PhotoUpdatePolicy.Policy] }).Count | Should -Be 2
        @(Get-Content -LiteralPath $script:Browser.Log).Count | Should -Be 1
        $bodies = @(Get-TokenRequest | ForEach-Object { $_.body })
        @($bodies | Where-Object { $_ -match 'grant_type=authorization_code' -and $_ -match 'code_verifier=<redacted>' }).Count | Should -Be 1
        @($bodies | Where-Object { $_ -match 'grant_type=refresh_token' }).Count | Should -BeGreaterOrEqual 2

        # Neither the code, the refresh token nor any token is in any stream.
        $text = Get-AllText (@($out) + @($all) + @($Error))
        $text | Should -Not -Match '0\.AXoA|1\.AXoA'
        $text | Should -Not -Match 'eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.'
    }

    It '-TenantId, -ClientId and -Environment go into the authorize URL' {
        $client = '3c2d1e0f-aaaa-bbbb-cccc-123456789abc'
        $c = Invoke-WithBrowser -Approval $script:Approve { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $client -Environment USGov @Ep -PassThru }
        $url = @(Get-Content -LiteralPath $script:Browser.Log)[0]
        $url | Should -Match "/$($script:Tenant)/oauth2/v2\.0/authorize\?"
        $url | Should -Match "client_id=$client"
        $url | Should -Match 'graph\.microsoft\.us%2FPeopleSettings\.ReadWrite\.All'
        $c.Cloud | Should -Be 'USGov'
        $c.ClientId | Should -Be $client
    }

    It 'a declined sign-in is an authentication error saying so' {
        $err = Invoke-WithBrowser -Decline { Get-ErrorRecord { Connect-PhotoUpdatePolicy @Ep } }
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception.Message | Should -Match 'declined'
        Get-PhotoUpdatePolicyConnection | Should -BeNullOrEmpty
    }

    It 'device code keeps Connect-MgGraph''s name: -UseDeviceCode' {
        (Get-Command Connect-PhotoUpdatePolicy).Parameters['DeviceCode'].Aliases | Should -Contain 'UseDeviceCode'
        Set-EmulatorProfile -Emulator $script:Emulator -Settings @{ deviceCodeInterval = 1 }
        $approver = [powershell]::Create()
        $null = $approver.AddScript({ param($Url, $Tenant)
                while ($true) {
                    try { foreach ($code in @((Invoke-RestMethod "$Url/_emulator/devicecode").userCodes)) { if ($code) { Invoke-RestMethod -Method Post "$Url/_emulator/devicecode/approve" -ContentType application/json -Body (@{ userCode = $code; tenantId = $Tenant } | ConvertTo-Json) | Out-Null } } } catch { }
                    Start-Sleep -Milliseconds 100
                } }).AddArgument($script:Emulator.Url).AddArgument($script:Tenant)
        $null = $approver.BeginInvoke()
        try { $c = Connect-PhotoUpdatePolicy -UseDeviceCode -TenantId $script:Tenant @Ep -PassThru -InformationAction SilentlyContinue }
        finally { $approver.Stop(); $approver.Dispose() }
        $c.AuthMode | Should -Be 'DeviceCode'
    }
}

Describe 'Existing sessions: -AccessToken in every shape, -MgGraph, -AzContext' {
    BeforeAll {
        $script:Tenant = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud' }
        $script:Plain = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -AsPlainText
        Add-Type -AssemblyName System.Net.Http
        function New-BearerResponse([string] $Token) {
            $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, 'https://graph.microsoft.com/beta/admin/people/photoUpdateSettings')
            $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $Token)
            $response = [System.Net.Http.HttpResponseMessage]::new([System.Net.HttpStatusCode]::OK)
            $response.RequestMessage = $request
            $response
        }
    }
    AfterEach {
        Disconnect-PhotoUpdatePolicy
        Get-Module FakeMgGraph, FakeAzAccounts | Remove-Module -Force
    }

    It 'takes <Name>' -ForEach @(
        @{ Name = 'a "Bearer ..." string'; Make = { "Bearer $script:Plain" } }
        @{ Name = 'a PSCredential (password = token)'; Make = { [pscredential]::new('token', (ConvertTo-SecureString $script:Plain -AsPlainText -Force)) } }
        @{ Name = 'Get-AzAccessToken output (Token as string)'; Make = { [pscustomobject]@{ Token = $script:Plain; ExpiresOn = [datetimeoffset]::UtcNow.AddHours(1) } } }
        @{ Name = 'Get-AzAccessToken output (Token as SecureString)'; Make = { [pscustomobject]@{ Token = (ConvertTo-SecureString $script:Plain -AsPlainText -Force) } } }
        @{ Name = 'an AuthenticationHeaderValue'; Make = { [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $script:Plain) } }
        @{ Name = 'an HttpResponseMessage (Invoke-MgGraphRequest -OutputType HttpResponseMessage)'; Make = { New-BearerResponse $script:Plain } }
        @{ Name = 'an HttpRequestMessage'; Make = { (New-BearerResponse $script:Plain).RequestMessage } }
    ) {
        $token = & $Make
        $c = Connect-PhotoUpdatePolicy -AccessToken $token @Ep -PassThru
        $c.TenantId | Should -Be $script:Tenant
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        (Get-PhotoUpdatePolicy -AccessToken $token @Ep).Source | Should -Be 'Cloud'
    }

    It 'a header with another scheme is refused naming it, nothing sent' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -AccessToken ([System.Net.Http.Headers.AuthenticationHeaderValue]::new('Basic', 'dXNlcjpwdw==')) @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidAccessToken,*'
        $err.Exception.Message | Should -Match "scheme is 'Basic'"
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It '-MgGraph reuses the Connect-MgGraph session through one Invoke-MgGraphRequest' {
        $token = $script:Plain
        New-Module -Name FakeMgGraph -ArgumentList $token -ScriptBlock {
            param($Token)
            $script:Calls = [System.Collections.Generic.List[hashtable]]::new()
            function Get-MgContext { [pscustomobject]@{ Environment = 'Global'; TenantId = 'ignored'; Scopes = @('PeopleSettings.ReadWrite.All') } }
            function Invoke-MgGraphRequest {
                param($Method, $Uri, $OutputType, [switch] $SkipHttpErrorCheck)
                $script:Calls.Add(@{ Method = $Method; Uri = $Uri; OutputType = $OutputType; Skip = [bool]$SkipHttpErrorCheck })
                $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, "https://graph.microsoft.com/$Uri")
                $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', $Token)
                $response = [System.Net.Http.HttpResponseMessage]::new([System.Net.HttpStatusCode]::OK)
                $response.RequestMessage = $request
                $response
            }
            function Get-FakeCalls { $script:Calls }
            Export-ModuleMember -Function Get-MgContext, Invoke-MgGraphRequest, Get-FakeCalls
        } | Import-Module
        $c = Connect-PhotoUpdatePolicy -MgGraph @Ep -PassThru
        $c.TenantId | Should -Be $script:Tenant
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        $calls = @(Get-FakeCalls)
        $calls.Count | Should -Be 1
        $calls[0].OutputType | Should -Be 'HttpResponseMessage'
        $calls[0].Skip | Should -BeTrue
    }

    It '-MgGraph says clearly when Microsoft.Graph.Authentication is not loaded, or not connected' {
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -MgGraph @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotConnected,*'
        $err.Exception.Message | Should -Match 'Microsoft\.Graph\.Authentication is not loaded'
        $err.ErrorDetails.RecommendedAction | Should -Match 'Connect-MgGraph'
        New-Module -Name FakeMgGraph -ScriptBlock {
            function Get-MgContext { }
            function Invoke-MgGraphRequest { throw 'must not be called' }
        } | Import-Module
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -MgGraph @Ep }
        $err.Exception.Message | Should -Match 'not connected'
    }

    It '-AzContext takes a Graph token from Get-AzAccessToken; not connected is said clearly' {
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -AzContext @Ep }
        $err.Exception.Message | Should -Match 'Az\.Accounts is not loaded'
        $token = $script:Plain
        New-Module -Name FakeAzAccounts -ArgumentList $token -ScriptBlock {
            param($Token)
            $script:Connected = $false
            function Get-AzContext { if ($script:Connected) { [pscustomobject]@{ Tenant = 'x' } } }
            function Get-AzAccessToken { param($ResourceTypeName, $ResourceUrl)
                if ($ResourceTypeName -ne 'MSGraph') { throw "unexpected resource $ResourceTypeName" }
                [pscustomobject]@{ Token = (ConvertTo-SecureString $Token -AsPlainText -Force); ExpiresOn = [datetimeoffset]::UtcNow.AddHours(1) } }
            function Set-FakeConnected { $script:Connected = $true }
            Export-ModuleMember -Function Get-AzContext, Get-AzAccessToken, Set-FakeConnected
        } | Import-Module
        (Get-ErrorRecord { Connect-PhotoUpdatePolicy -AzContext @Ep }).Exception.Message | Should -Match 'Connect-AzAccount|not connected'
        Set-FakeConnected
        (Connect-PhotoUpdatePolicy -AzContext @Ep -PassThru).TenantId | Should -Be $script:Tenant
        (Get-PhotoUpdatePolicy -AzContext @Ep).Source | Should -Be 'Cloud'
    }

    It '-MgGraph with -AccessToken or -AzContext: ConflictingSignIn naming both' {
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -MgGraph -AzContext @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ConflictingSignIn,*'
        $err.Exception.Message | Should -Match '-MgGraph and -AzContext'
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -MgGraph -AccessToken $script:Plain @Ep }
        $err.Exception.Message | Should -Match '-MgGraph and -AccessToken'
    }
}

Describe 'Workload identity: federated tokens and the Azure.Identity variables' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Disconnect-PhotoUpdatePolicy
        $script:Tenant = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud' }
        Register-FederatedApp -TenantId $script:Tenant
        $script:NoAzure = @{ AZURE_TENANT_ID = $null; AZURE_CLIENT_ID = $null; AZURE_CLIENT_SECRET = $null; AZURE_CLIENT_CERTIFICATE_PATH = $null
            AZURE_CLIENT_CERTIFICATE_PASSWORD = $null; AZURE_FEDERATED_TOKEN_FILE = $null; AZURE_AUTHORITY_HOST = $null }
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It '-FederatedToken signs in as the app with client_assertion and no secret' {
        $external = New-ExternalToken
        $c = Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -FederatedToken $external @Ep -PassThru
        $c.AuthMode | Should -Be 'Federated'
        (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
        $body = (Get-TokenRequest)[0].body
        $body | Should -Match 'client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer'
        $body | Should -Not -Match 'client_secret'
        # SecureString too, and one-off on a Graph cmdlet.
        (Get-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -FederatedToken (ConvertTo-SecureString $external -AsPlainText -Force) @Ep).Source | Should -Be 'Cloud'
    }

    It '-FederatedTokenFile is read again at each sign-in; a token for another subject names it' {
        $file = Join-Path $script:Work 'azure-identity-token'
        Set-Content -LiteralPath $file -Value (New-ExternalToken -Subject 'repo:contoso/photo-policy:pull_request') -NoNewline
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -FederatedTokenFile $file @Ep }
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception.Message | Should -Match 'AADSTS70021'
        $err.Exception.Message | Should -Match 'pull_request'
        Set-Content -LiteralPath $file -Value (New-ExternalToken) -NoNewline
        (Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -FederatedTokenFile $file @Ep -PassThru).AuthMode | Should -Be 'Federated'
    }

    It '-FederatedToken without -ClientId: IncompleteSignIn saying what to add, nothing sent' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -FederatedToken 'x' @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.IncompleteSignIn,*'
        $err.Exception.Message | Should -Match '-ClientId'
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -FederatedToken 'x' -FederatedTokenFile 'y' @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ConflictingSignIn,*'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It '-EnvironmentVariable: AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST' {
        $file = Join-Path $script:Work 'aks-token'
        Set-Content -LiteralPath $file -Value (New-ExternalToken) -NoNewline
        $vars = Merge-Variables $script:NoAzure @{ AZURE_TENANT_ID = $script:Tenant; AZURE_CLIENT_ID = $script:AppId; AZURE_FEDERATED_TOKEN_FILE = $file
            AZURE_AUTHORITY_HOST = $script:Emulator.Url; PHOTOPOLICY_AUTHORITY_ENDPOINT = $null }
        $c = Invoke-WithEnvironment $vars { Connect-PhotoUpdatePolicy -EnvironmentVariable -GraphEndpoint $script:Emulator.Url -AllowInsecureLoopback -PassThru }
        $c.AuthMode | Should -Be 'Federated'
        $c.TenantId | Should -Be $script:Tenant
    }

    It '-EnvironmentVariable: a client secret wins over a token file (Azure.Identity''s order)' {
        $secret = 'env-' + [guid]::NewGuid().ToString('N')
        $secretApp = '5a4b3c2d-1e0f-4a1b-9c8d-7e6f5a4b3c2d'
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -ClientId $secretApp -Secret $secret
        $vars = Merge-Variables $script:NoAzure @{ AZURE_TENANT_ID = $script:Tenant; AZURE_CLIENT_ID = $secretApp; AZURE_CLIENT_SECRET = $secret; AZURE_FEDERATED_TOKEN_FILE = '/nonexistent/token' }
        $out = Invoke-WithEnvironment $vars { @(& { Connect-PhotoUpdatePolicy -EnvironmentVariable @Ep -PassThru -Verbose -Debug } *>&1) }
        ($out | Where-Object { $_ -is [PhotoUpdatePolicy.Connection] }).AuthMode | Should -Be 'ClientSecret'
        (Get-TokenRequest)[0].body | Should -Match 'client_secret=<redacted>'
        (Get-AllText $out) | Should -Not -Match ([regex]::Escape($secret))
    }

    It '-EnvironmentVariable without the variables names the missing one' {
        $err = Invoke-WithEnvironment (Merge-Variables $script:NoAzure @{ AZURE_TENANT_ID = $script:Tenant }) { Get-ErrorRecord { Connect-PhotoUpdatePolicy -EnvironmentVariable @Ep } }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.IncompleteSignIn,*'
        $err.Exception.Message | Should -Match 'AZURE_CLIENT_ID'
        $err = Invoke-WithEnvironment (Merge-Variables $script:NoAzure @{ AZURE_TENANT_ID = $script:Tenant; AZURE_CLIENT_ID = $script:AppId }) { Get-ErrorRecord { Connect-PhotoUpdatePolicy -EnvironmentVariable @Ep } }
        $err.Exception.Message | Should -Match 'AZURE_CLIENT_SECRET.*AZURE_CLIENT_CERTIFICATE_PATH.*AZURE_FEDERATED_TOKEN_FILE'
    }
}

Describe 'Connect-MgGraph''s parameter names' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Disconnect-PhotoUpdatePolicy
        $script:Tenant = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud' }
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It '-Identity -ClientId (a user-assigned identity''s client ID) signs in as that identity' {
        $ua = '6b5a4c3d-2e1f-4a0b-8c9d-0e1f2a3b4c5d'
        Set-EmulatorManagedIdentity -Emulator $script:Emulator -TenantId $script:Tenant -Roles @('PeopleSettings.Read.All') -UserAssigned @(@{ clientId = $ua; roles = @('PeopleSettings.ReadWrite.All') })
        $vars = Merge-Variables $script:NoManagedIdentityHost @{ PHOTOPOLICY_IMDS_ENDPOINT = "$($script:Emulator.Url)/metadata/identity/oauth2/token" }
        $c = Invoke-WithEnvironment $vars { Connect-PhotoUpdatePolicy -Identity -ClientId $ua @Ep -PassThru }
        $c.AuthMode | Should -Be 'ManagedIdentity'
        $c.Roles | Should -Be @('PeopleSettings.ReadWrite.All')
        (Get-EmulatorRequest -Emulator $script:Emulator | Where-Object route -eq 'msi')[0].query | Should -Match "client_id=$ua"
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -Identity -ClientId $ua -ManagedIdentityClientId ([guid]::NewGuid()) @Ep }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ConflictingSignIn,*'
    }

    It '-CertificateSubjectName finds the newest valid certificate with its key in CurrentUser\My' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        $subject = 'CN=PhotoPolicy test ' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $make = {
            param([datetime] $From, [datetime] $To)
            $rsa = [System.Security.Cryptography.RSA]::Create(2048)
            $req = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new($subject, $rsa, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
            $c = $req.CreateSelfSigned([datetimeoffset]$From, [datetimeoffset]$To)
            # Through a PFX so the store keeps the key.
            [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($c.Export('Pfx'), [string]$null, 'PersistKeySet,Exportable')
        }
        $older = & $make ([datetime]::UtcNow.AddDays(-10)) ([datetime]::UtcNow.AddDays(30))
        $newer = & $make ([datetime]::UtcNow.AddDays(-1)) ([datetime]::UtcNow.AddDays(30))
        $expired = & $make ([datetime]::UtcNow.AddDays(-5)) ([datetime]::UtcNow.AddDays(-2))
        Register-EmulatorApp -Emulator $script:Emulator -TenantId $script:Tenant -CertificatePem $newer.ExportCertificatePem()
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        try {
            foreach ($c in $older, $newer, $expired) { $store.Add($c) }
            $c = Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificateSubjectName $subject @Ep -PassThru
            $c.CertificateThumbprint | Should -Be $newer.Thumbprint
            (Get-PhotoUpdatePolicy).Source | Should -Be 'Cloud'
            $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificateSubjectName 'CN=nobody here' @Ep }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.CertificateNotFound,*'
            $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy -TenantId $script:Tenant -ClientId $script:AppId -CertificateSubjectName $subject -CertificateThumbprint $newer.Thumbprint @Ep }
            $err.Exception.Message | Should -Match '-CertificateThumbprint and -CertificateSubjectName'
        }
        finally {
            foreach ($c in $older, $newer, $expired) { $store.Remove($c) }
            $store.Close()
        }
    }

    It 'parameters that do not go together name what to pass, never "parameter set cannot be resolved"' {
        foreach ($run in @(
                { Connect-PhotoUpdatePolicy -DeviceCode -Identity @Ep }
                { Connect-PhotoUpdatePolicy -ClientSecret (ConvertTo-SecureString 'x' -AsPlainText -Force) -TenantId $script:Tenant @Ep }
                { Connect-PhotoUpdatePolicy -EnvironmentVariable -Identity @Ep }
                { Get-PhotoUpdatePolicy -ClientId $script:AppId @Ep }
            )) {
            $err = Get-ErrorRecord $run
            $err.FullyQualifiedErrorId | Should -Match '^PhotoUpdatePolicy\.(ConflictingSignIn|IncompleteSignIn),'
            $err.Exception.Message | Should -Not -Match 'cannot be resolved'
            $err.Exception.Message | Should -Match '-\w+'
        }
    }
}

Describe 'One app connection, many tenants' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Disconnect-PhotoUpdatePolicy
        $script:Secret = 'fleet-' + [guid]::NewGuid().ToString('N')
        $script:Tenants = @(1..3 | ForEach-Object { [guid]::NewGuid().ToString() })
        foreach ($t in $script:Tenants) {
            Register-EmulatorApp -Emulator $script:Emulator -TenantId $t -Secret $script:Secret
            Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $t -Policy @{ source = 'onPremises' }
        }
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It 'an app connection signs in to each tenant of a fleet run, each with its own cached token' {
        Connect-PhotoUpdatePolicy -TenantId $script:Tenants[0] -ClientId $script:AppId -ClientSecret (ConvertTo-SecureString $script:Secret -AsPlainText -Force) @Ep
        $results = @(Test-PhotoUpdatePolicy -TenantId $script:Tenants -Source Cloud -ErrorVariable errs)
        $errs | Should -BeNullOrEmpty
        $results.Count | Should -Be 3
        @($results | ForEach-Object TenantId | Sort-Object) | Should -Be @($script:Tenants | Sort-Object)
        @($results | Where-Object { $_.Compliant }) | Should -BeNullOrEmpty
        $paths = @(Get-TokenRequest | ForEach-Object path)
        foreach ($t in $script:Tenants) { @($paths | Where-Object { $_ -eq "/$t/oauth2/v2.0/token" }).Count | Should -Be 1 }
        # Again: every tenant's token is cached.
        $null = Test-PhotoUpdatePolicy -TenantId $script:Tenants -Source Cloud
        @(Get-TokenRequest).Count | Should -Be 3
        (Get-PhotoUpdatePolicy -TenantId $script:Tenants[2]).TenantId | Should -Be $script:Tenants[2]
    }

    It 'a connection that belongs to one tenant says why for another tenant, and sends nothing' {
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenants[0]
        Connect-PhotoUpdatePolicy -AccessToken $token @Ep
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -TenantId $script:Tenants[1] }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ConnectionMismatch,*'
        $err.Exception.Message | Should -Match $script:Tenants[1]
        $err.Exception.Message | Should -Match 'access token'
        $err.ErrorDetails.RecommendedAction | Should -Match '-ClientId'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }
}
