# Who may change photos (Get-/Test-PhotoUpdateAccess) end to end against the emulator's seeded
# directory: each kind of principal, missing permissions, many tenants, and what the prediction
# says checked against what the emulator's photo write then does, for every principal.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Endpoint = @{ GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }
    $script:Fixture = Get-Content -Raw (Join-Path $script:RepoRoot 'tests/emulator/tests/fixtures/directory-photo-access.json') | ConvertFrom-Json
    $script:Reads = @('PeopleSettings.Read.All', 'RoleManagement.Read.Directory', 'RoleEligibilitySchedule.Read.Directory',
        'GroupMember.Read.All', 'Application.Read.All', 'User.Read.All')

    function New-AccessTenant([object[]] $AllowedRoles, [string[]] $Roles = $script:Reads) {
        $tenant = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $tenant -Policy @{ source = 'cloud'; allowedRoles = @($AllowedRoles) }
        Invoke-EmulatorApi -Emulator $script:Emulator -Method Put -Path "/_emulator/tenants/$tenant/directory" -Body $script:Fixture | Out-Null
        [pscustomobject]@{ TenantId = $tenant; AccessToken = New-EmulatorToken -Emulator $script:Emulator -TenantId $tenant -Roles $Roles }
    }

    # What the host shows (the "What if:" lines): a transcript is how an admin's screen is captured.
    function Get-HostText([scriptblock] $Script) {
        $log = Join-Path ([System.IO.Path]::GetTempPath()) "host-$([guid]::NewGuid()).txt"
        Start-Transcript -LiteralPath $log | Out-Null
        try {
            & $Script | Out-Null
        } finally {
            Stop-Transcript | Out-Null
        }
        try { Get-Content -LiteralPath $log -Raw } finally { Remove-Item -LiteralPath $log }
    }

    # The part of $Text about one tenant: from its "What if:" line to the next one.
    function Get-TenantText([string] $Text, [string] $TenantId) {
        $start = $Text.IndexOf("tenant '$TenantId'")
        if ($start -lt 0) { return '' }
        $end = $Text.IndexOf('What if:', $start)
        if ($end -lt 0) { $end = $Text.Length }
        $Text.Substring($start, $end - $start)
    }

    # Runs $Command in a fresh PowerShell whose console answers each prompt with a line of
    # $Answers ($t: the tenant's connection, the token passed through the environment); returns
    # what the console showed, prompts included, on one line.
    function Invoke-Answered([pscustomobject] $Tenant, [string] $Command, [string[]] $Answers) {
        $pwsh = @(Get-PwshCommand)
        $env:PUP_TEST_TOKEN = [System.Net.NetworkCredential]::new('', $Tenant.AccessToken).Password
        try {
            $script = "Import-Module '$($script:Manifest)'; " +
                "`$t = @{ TenantId = '$($Tenant.TenantId)'; AccessToken = `$env:PUP_TEST_TOKEN; GraphEndpoint = '$($script:Emulator.Url)'; AllowInsecureLoopback = `$true }; $Command"
            $output = $Answers | & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -Command $script 2>&1
            # The console wraps long lines at word boundaries: one space for any run of them.
            (($output | ForEach-Object { "$_" }) -join ' ') -replace '\s+', ' '
        } finally {
            Remove-Item Env:PUP_TEST_TOKEN -ErrorAction SilentlyContinue
        }
    }

    # Writes a photo of $Target with a token minted for the principal; returns 'OK' or Graph's code.
    function Invoke-PhotoWrite([string] $Tenant, [string] $ObjectId, [hashtable] $Grant, [string] $Target) {
        $body = @{ tenantId = $Tenant; objectId = $ObjectId } + $Grant
        $token = (Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/tokens' -Body $body).access_token
        try {
            Invoke-RestMethod -Method Put -Uri "$($script:Emulator.Url)/v1.0/users/$Target/photo/`$value" -Headers @{ Authorization = "Bearer $token" } -ContentType 'image/jpeg' -Body ([byte[]](0xFF, 0xD8, 0xFF)) | Out-Null
            'OK'
        } catch {
            ($_.ErrorDetails.Message | ConvertFrom-Json).error.code
        }
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Get-PhotoUpdateAccess' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It 'names each kind of principal with CanChangeOthersPhotos, Via, Scope, Reason and Fix' {
        $t = New-AccessTenant @($script:Roles.People, $script:Roles.Global)
        $all = @(Get-PhotoUpdateAccess -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint)
        $by = @{}; foreach ($p in $all) { $by[$p.DisplayName] = $p }

        $by['Pat People'].CanChangeOthersPhotos | Should -BeTrue
        $by['Pat People'].Via | Should -Be @('People Administrator (Active, direct, tenant)')
        $by['Pat People'].TenantId | Should -Be $t.TenantId
        $by['Uma Scoped'].CanChangeOthersPhotos | Should -BeFalse
        $by['Uma Scoped'].Scope | Should -Be 'AdministrativeUnit'
        $by['Uma Scoped'].Reason | Should -Match 'invalid_role'
        $by['Eli Eligible'].Via[0] | Should -Match 'Eligible \(PIM\)'
        $by['Eli Eligible'].Fix | Should -Match 'Activate'
        $by['Photo Admins'].PrincipalType | Should -Be 'Group'
        $by['Photo Admins'].CanChangeOthersPhotos | Should -BeTrue
        $by.ContainsKey('Mona Member') | Should -BeFalse
        $by['HR Photo Sync'].WillBeRefused | Should -BeTrue
        $by['HR Photo Sync'].AppPermissions | Should -Be @('ProfilePhoto.ReadWrite.All')
        $by['HR Photo Sync'].Fix | Should -Match 'Assign People Administrator'
        $by['Group Member App'].Via[0] | Should -Match "through group 'Photo Admins'"
        $by.ContainsKey('Reporting') | Should -BeFalse

        $expanded = @(Get-PhotoUpdateAccess -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -ExpandGroups)
        ($expanded | Where-Object DisplayName -eq 'Mona Member').CanChangeOthersPhotos | Should -BeTrue
        # Only reads were sent, and the lists were paged to the end.
        $requests = @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object route -eq 'graph')
        @($requests | Where-Object method -ne 'GET').Count | Should -Be 0
        @($requests | Where-Object { $_.query -match 'skiptoken' }).Count | Should -BeGreaterThan 0
    }

    It 'with no restriction says every user may change their own photo, and judges a policy before it is set' {
        $t = New-AccessTenant @()
        $all = @(Get-PhotoUpdateAccess -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -InformationVariable info)
        $all[0].PrincipalType | Should -Be 'AllUsers'
        $all[0].CanChangeOwnPhoto | Should -BeTrue
        ($all | Where-Object DisplayName -eq 'Dora Writer').CanChangeOthersPhotos | Should -BeTrue
        ($info | Where-Object { $_.Tags -contains 'Summary' }).MessageData | Should -Match '^No restriction: every user may change their own photo'

        $what = @(Get-PhotoUpdateAccess -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -AllowedRoles 'People Administrator')
        ($what | Where-Object DisplayName -eq 'Grace Global').CanChangeOthersPhotos | Should -BeFalse
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId).allowedRoles.Count | Should -Be 0
    }

    It 'degrades a part with a warning naming the missing permission, never the whole answer' {
        $t = New-AccessTenant @($script:Roles.People) -Roles 'PeopleSettings.Read.All', 'RoleManagement.Read.Directory'
        $all = @(Get-PhotoUpdateAccess -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -WarningVariable warn -WarningAction SilentlyContinue)
        ($all | Where-Object DisplayName -eq 'Pat People').CanChangeOthersPhotos | Should -BeTrue
        @($all | Where-Object PrincipalType -eq 'ServicePrincipal' | Where-Object WillBeRefused).Count | Should -Be 0
        ($warn -join "`n") | Should -Match 'Application\.Read\.All'
    }

    It 'answers per tenant from the pipeline; a failed tenant is an error, the others answer' {
        $a = New-AccessTenant @($script:Roles.People)
        $b = New-AccessTenant @($script:Roles.Global)
        $bad = [pscustomobject]@{ TenantId = [guid]::NewGuid().ToString(); AccessToken = New-EmulatorToken -Emulator $script:Emulator -TenantId 'x' -ExpiresInSeconds -60 }
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method GET -Count 3 -RetryAfterSeconds 0
        $all = @($a, $bad, $b | Get-PhotoUpdateAccess @script:Endpoint -ThrottleLimit 2 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 1
        @($all | Where-Object TenantId -eq $a.TenantId | Where-Object WillBeRefused).DisplayName | Sort-Object | Should -Be @('HR Photo Sync', 'Scoped App')
        ($all | Where-Object { $_.TenantId -eq $b.TenantId -and $_.DisplayName -eq 'Grace Global' }).CanChangeOthersPhotos | Should -BeTrue
        ($all | Where-Object { $_.TenantId -eq $b.TenantId -and $_.DisplayName -eq 'Pat People' }).CanChangeOthersPhotos | Should -BeFalse
    }

    It 'predicts what the photo write then does, for every principal of the tenant' {
        foreach ($allowed in @(@($script:Roles.People, $script:Roles.Global), @($script:Roles.User), @())) {
            $t = New-AccessTenant $allowed
            $predicted = @{}
            foreach ($p in Get-PhotoUpdateAccess -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -ExpandGroups) { $predicted[$p.Id] = $p }
            foreach ($u in $script:Fixture.users) {
                $target = if ($u.displayName -eq 'Paul Plain') { 'grace@contoso.example' } else { 'paul@contoso.example' }
                $actual = Invoke-PhotoWrite $t.TenantId $u.id @{ scp = 'ProfilePhoto.ReadWrite.All' } $target
                $p = $predicted[$u.id]
                $can = [bool]($p -and $p.CanChangeOthersPhotos)
                ($actual -eq 'OK') | Should -Be $can -Because "$($u.displayName) under [$($allowed -join ',')]"
                if ($p -and $p.ExpectedError) { $actual | Should -Be $p.ExpectedError -Because $u.displayName }
            }
            foreach ($sp in $script:Fixture.servicePrincipals) {
                $perms = @($script:Fixture.appRoleAssignments | Where-Object principalId -eq $sp.id | ForEach-Object appRoleId)
                $actual = Invoke-PhotoWrite $t.TenantId $sp.id @{ roles = $perms } 'paul@contoso.example'
                $p = $predicted[$sp.id]
                if ($p) {
                    ($actual -eq 'OK') | Should -Be $p.CanChangeOthersPhotos -Because $sp.displayName
                    ($actual -like 'ForbiddenBy*') | Should -Be $p.WillBeRefused -Because $sp.displayName
                } else {
                    $actual | Should -Be 'Authorization_RequestDenied' -Because "$($sp.displayName) holds no photo-writing permission"
                }
            }
        }
    }
}

Describe 'Test-PhotoUpdateAccess' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It 'answers for a user, an app and the signed-in user, with the service''s own answer' {
        $t = New-AccessTenant @($script:Roles.People, $script:Roles.Global)
        $uma = Test-PhotoUpdateAccess -UserId uma@contoso.example -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint
        $uma.CanChangeOthersPhotos | Should -BeFalse
        $uma.Summary | Should -Match 'invalid_role'
        $uma.Fix | Should -Match 'tenant scope'

        $app = Test-PhotoUpdateAccess -ServicePrincipalId 44444444-0000-4000-8000-000000000001 -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint
        $app.WillBeRefused | Should -BeTrue
        $app.DisplayName | Should -Be 'HR Photo Sync'
        Test-PhotoUpdateAccess -UserId pat@contoso.example -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -Quiet | Should -BeTrue

        # A Global Reader (reading the policy as a delegated user needs a directory role).
        $body = @{ tenantId = $t.TenantId; objectId = '11111111-0000-4000-8000-000000000006'; scp = ($script:Reads -join ' '); wids = @('f2ef992c-3afb-46b9-b7cf-a126ee74c451') }
        $paul = (Invoke-EmulatorApi -Emulator $script:Emulator -Method Post -Path '/_emulator/tokens' -Body $body).access_token
        $me = Test-PhotoUpdateAccess -TenantId $t.TenantId -AccessToken $paul @script:Endpoint
        $me.SignedIn | Should -BeTrue
        $me.DisplayName | Should -Be 'Paul Plain'
        $me.CanChangeOwnPhoto | Should -BeFalse
        $me.ServiceAllowedOperations | Should -Be ''
        $me.ServiceAgrees | Should -BeTrue
        $me.Fix | Should -Match 'People Administrator'
    }

    It 'refuses an unknown user with a clear error, and a bad value before anything is sent' {
        $t = New-AccessTenant @($script:Roles.People)
        $e = Get-ErrorRecord { Test-PhotoUpdateAccess -UserId nobody@contoso.example -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -ErrorAction Stop }
        $e.Exception.Message | Should -Match "nobody@contoso.example"
        $e.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotFound*'
        Clear-EmulatorRequest -Emulator $script:Emulator
        $e = Get-ErrorRecord { Test-PhotoUpdateAccess -UserId 'a/../b' -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -ErrorAction Stop }
        $e.Exception.Message | Should -Match 'userId'
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object route -eq 'graph').Count | Should -Be 0
    }

    It 'takes Get-PhotoUpdateAccess''s users and apps from the pipeline, and refuses a group by name before sending' {
        $t = New-AccessTenant @($script:Roles.Global)
        $c = @{ TenantId = $t.TenantId; AccessToken = $t.AccessToken } + $script:Endpoint
        $access = @(Get-PhotoUpdateAccess @c -InformationAction SilentlyContinue)
        $principals = @($access | Where-Object PrincipalType -in 'User', 'ServicePrincipal')
        @($principals | Where-Object PrincipalType -eq 'User').Count | Should -BeGreaterThan 0
        @($principals | Where-Object PrincipalType -eq 'ServicePrincipal').Count | Should -BeGreaterThan 0
        # Users carry an empty AppId, apps an empty UserPrincipalName: neither gets in the way.
        $answers = @($principals | Test-PhotoUpdateAccess @c -ErrorVariable errs -WarningAction SilentlyContinue)
        $errs | Should -BeNullOrEmpty
        @($answers | ForEach-Object Id) | Should -Be @($principals | ForEach-Object Id)
        @($answers | ForEach-Object PrincipalType) | Should -Be @($principals | ForEach-Object PrincipalType)
        @($answers | ForEach-Object CanChangeOthersPhotos) | Should -Be @($principals | ForEach-Object CanChangeOthersPhotos)
        $group = $access | Where-Object PrincipalType -eq 'Group' | Select-Object -First 1
        $group | Should -Not -BeNullOrEmpty
        Clear-EmulatorRequest -Emulator $script:Emulator
        $e = Get-ErrorRecord { $group | Test-PhotoUpdateAccess @c -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotAUserOrApp*'
        $e.Exception.Message | Should -Match ([regex]::Escape($group.DisplayName))
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object route -eq 'graph').Count | Should -Be 0
    }
}

Describe 'Set-PhotoUpdatePolicy shows who gains and who loses the ability' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It '-WhatIf names them and writes nothing; a plain Set sends no directory read' {
        $t = New-AccessTenant @($script:Roles.People, $script:Roles.Global) -Roles ($script:Reads + 'PeopleSettings.ReadWrite.All')
        # -WhatIf reads the directory for its message (host text); -ShowImpact also writes the lines.
        Set-PhotoUpdatePolicy -AllowedRoles 'People Administrator' -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -WhatIf
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.path -like '*roleManagement*' }).Count | Should -BeGreaterThan 0
        Set-PhotoUpdatePolicy -AllowedRoles 'People Administrator' -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -WhatIf -ShowImpact -InformationVariable info
        ($info | Where-Object { $_.Tags -contains 'Impact' }).MessageData | Should -Match '1 loses the ability to change others'' photos: Grace Global'
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'graph' -and $_.method -ne 'GET' }).Count | Should -Be 0

        Clear-EmulatorRequest -Emulator $script:Emulator
        Set-PhotoUpdatePolicy -AllowedRoles 'People Administrator' -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -Confirm:$false -WarningAction SilentlyContinue
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.path -like '*roleManagement*' }).Count | Should -Be 0

        Set-PhotoUpdatePolicy -AllowedRoles @() -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -Confirm:$false -ShowImpact -InformationVariable info -WarningAction SilentlyContinue
        ($info | Where-Object { $_.Tags -contains 'Impact' }).MessageData | Should -Match 'gain'
    }

    It 'without the permission to read role assignments, one line says which would show it' {
        $t = New-AccessTenant @($script:Roles.People) -Roles 'PeopleSettings.ReadWrite.All'
        Set-PhotoUpdatePolicy -AllowedRoles 'Global Administrator' -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -WhatIf -ShowImpact -InformationVariable info -WarningAction SilentlyContinue
        ($info | Where-Object { $_.Tags -contains 'Impact' }).MessageData | Should -Match 'RoleManagement\.Read\.Directory'
    }
}

Describe 'Reset- and Import-PhotoUpdatePolicy show who gains and who loses the ability' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It 'Reset -WhatIf names them with counts and says every user may change their own photo; a plain Reset reads no role assignments' {
        $t = New-AccessTenant @($script:Roles.People, $script:Roles.Global) -Roles ($script:Reads + 'PeopleSettings.ReadWrite.All')
        Clear-EmulatorRequest -Emulator $script:Emulator
        $text = Get-HostText { Reset-PhotoUpdatePolicy -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -WhatIf }
        $text | Should -Match 'What if: Reset the photo update policy'
        $text | Should -Match ([regex]::Escape("3 gain the ability to change others' photos: Dora Writer, HR Photo Sync, Scoped App."))
        $text | Should -Match 'No role restriction after the change: every user regains the ability to change their own photo\.'
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'graph' -and $_.method -ne 'GET' }).Count | Should -Be 0
        # The impact comes from the plan just read: the policy itself is read once.
        @(Get-PolicyRequest -Emulator $script:Emulator).method | Should -Be @('GET')

        Clear-EmulatorRequest -Emulator $script:Emulator
        Reset-PhotoUpdatePolicy -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -Confirm:$false -WarningAction SilentlyContinue
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'graph' -and $_.path -notlike '/beta/admin/people/photoUpdateSettings*' }).Count | Should -Be 0
        @(Get-PolicyRequest -Emulator $script:Emulator).method | Should -Be @('GET', 'PATCH', 'GET')
        @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId).allowedRoles | Where-Object { $_ }).Count | Should -Be 0
    }

    It 'Reset -ShowImpact writes the lines without a prompt; without the permission to read role assignments one line names it' {
        $t = New-AccessTenant @($script:Roles.People) -Roles 'PeopleSettings.ReadWrite.All'
        $text = Get-HostText { Reset-PhotoUpdatePolicy -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -WhatIf -WarningAction SilentlyContinue }
        $text | Should -Match 'is not shown: reading role assignments needs RoleManagement\.Read\.Directory\.'

        Reset-PhotoUpdatePolicy -TenantId $t.TenantId -AccessToken $t.AccessToken @script:Endpoint -Confirm:$false -ShowImpact -InformationVariable info -WarningAction SilentlyContinue
        ($info | Where-Object { $_.Tags -contains 'Impact' }).MessageData | Should -Match 'RoleManagement\.Read\.Directory'
        ($info | Where-Object { $_.Tags -contains 'Impact' }).MessageData | Should -Match 'every user regains the ability to change their own photo'
        @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId).allowedRoles | Where-Object { $_ }).Count | Should -Be 0
    }

    It 'Import -WhatIf gives each tenant its own impact; a plain Import reads no role assignments' {
        $rw = $script:Reads + 'PeopleSettings.ReadWrite.All'
        $a = New-AccessTenant @($script:Roles.People, $script:Roles.Global) -Roles $rw
        $b = New-AccessTenant @($script:Roles.Global) -Roles $rw
        $doc = @{ schemaVersion = 1; source = 'cloud'; allowedRoles = @('People Administrator') }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $text = Get-HostText { $a, $b | Import-PhotoUpdatePolicy -InputObject $doc @script:Endpoint -WhatIf }
        $forA = Get-TenantText $text $a.TenantId
        $forA | Should -Match ([regex]::Escape("1 loses the ability to change others' photos: Grace Global."))
        $forA | Should -Match 'Nobody gains the ability'
        $forB = Get-TenantText $text $b.TenantId
        $forB | Should -Match ([regex]::Escape("1 loses the ability to change others' photos: Grace Global."))
        $forB | Should -Match 'gains? the ability to change others'' photos: .*Pat People'
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'graph' -and $_.method -ne 'GET' }).Count | Should -Be 0
        @(Get-PolicyRequest -Emulator $script:Emulator).Count | Should -Be 2

        Clear-EmulatorRequest -Emulator $script:Emulator
        $a, $b | Import-PhotoUpdatePolicy -InputObject $doc @script:Endpoint -Confirm:$false -WarningAction SilentlyContinue
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object { $_.route -eq 'graph' -and $_.path -notlike '/beta/admin/people/photoUpdateSettings*' }).Count | Should -Be 0
        # Each tenant: one GET and one PATCH.
        @(Get-PolicyRequest -Emulator $script:Emulator).method | Sort-Object | Should -Be @('GET', 'GET', 'PATCH', 'PATCH')
        foreach ($x in $a, $b) { @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $x.TenantId).allowedRoles) | Should -Be @($script:Roles.People) }

        # -ShowImpact: the lines on the information stream, one record per tenant changed.
        $c = New-AccessTenant @($script:Roles.Global) -Roles $rw
        $c | Import-PhotoUpdatePolicy -InputObject $doc @script:Endpoint -Confirm:$false -ShowImpact -InformationVariable info -WarningAction SilentlyContinue
        @($info | Where-Object { $_.Tags -contains 'Impact' }).Count | Should -Be 1
        ($info | Where-Object { $_.Tags -contains 'Impact' }).MessageData | Should -Match 'Grace Global'
    }

    It 'Import without the permission to read role assignments: one line per tenant names it' {
        $t = New-AccessTenant @($script:Roles.Global) -Roles 'PeopleSettings.ReadWrite.All'
        $doc = @{ schemaVersion = 1; source = 'cloud'; allowedRoles = @('People Administrator') }
        $text = Get-HostText { $t | Import-PhotoUpdatePolicy -InputObject $doc @script:Endpoint -WhatIf -WarningAction SilentlyContinue }
        Get-TenantText $text $t.TenantId | Should -Match 'is not shown: reading role assignments needs RoleManagement\.Read\.Directory\.'
    }

    It 'a confirmation prompt shows the impact, and after the answer the policy is read again before the write' {
        $rw = $script:Reads + 'PeopleSettings.ReadWrite.All'
        $t = New-AccessTenant @($script:Roles.People, $script:Roles.Global) -Roles $rw
        Clear-EmulatorRequest -Emulator $script:Emulator
        $shown = Invoke-Answered $t 'Reset-PhotoUpdatePolicy @t -Confirm -WarningAction SilentlyContinue' 'Y'
        $shown | Should -Match "Reset the photo update policy of tenant '$($t.TenantId)' to the default\?"
        $shown | Should -Match ([regex]::Escape("3 gain the ability to change others' photos"))
        @(Get-PolicyRequest -Emulator $script:Emulator).method | Should -Be @('GET', 'GET', 'PATCH', 'GET')
        @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId).allowedRoles | Where-Object { $_ }).Count | Should -Be 0

        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.People, $script:Roles.Global) }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $doc = '{"schemaVersion":1,"source":"cloud","allowedRoles":["People Administrator"]}'
        $shown = Invoke-Answered $t "Import-PhotoUpdatePolicy @t -InputObject '$doc' -Confirm -WarningAction SilentlyContinue" 'Y'
        $shown | Should -Match "Change the photo update policy of tenant '$($t.TenantId)'\?"
        $shown | Should -Match ([regex]::Escape("1 loses the ability to change others' photos: Grace Global."))
        @(Get-PolicyRequest -Emulator $script:Emulator).method | Should -Be @('GET', 'GET', 'PATCH')
        @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId).allowedRoles) | Should -Be @($script:Roles.People)
    }
}
