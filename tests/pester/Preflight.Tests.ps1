# The write pre-flight (issue 13, item 5): Set-, Reset- and Import-PhotoUpdatePolicy refuse a token
# that certainly may not change the policy before anything is sent (the emulator's request log stays
# empty), -WhatIf included, and warn about a token that can only be suspected and go ahead.
# CanChangePolicy on the connection follows the same rule.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Endpoint = @{ GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }

    # A fresh tenant whose policy differs from the change below, and a token for it.
    function New-Case {
        param([hashtable] $Token)
        $tenant = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $tenant -Policy @{ source = 'onPremises' }
        $t = New-EmulatorToken -Emulator $script:Emulator -TenantId $tenant @Token
        @{ TenantId = $tenant; AccessToken = $t } + $script:Endpoint
    }
}

BeforeDiscovery {
    $People = '024906de-61e5-49c8-8572-40335f1e0e10'
    $Helpdesk = '729827e3-9c14-49f7-bb1b-9608f156bbb8'
    $GlobalReader = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451'
    # Token shapes that certainly may not change the policy.
    $Refused = @(
        @{ Case = 'an app token with the read permission only'; Token = @{ Roles = @('PeopleSettings.Read.All') } }
        @{ Case = 'a delegated token without the write scope'; Token = @{ Scope = 'PeopleSettings.Read.All User.Read'; Wids = @($People) } }
        @{ Case = 'a delegated token whose wids hold no managing role'; Token = @{ Scope = 'PeopleSettings.ReadWrite.All'; Wids = @($Helpdesk, $GlobalReader) } }
    )
    $Shapes = @(
        @{ Case = 'an app token with ReadWrite'; Token = @{ Roles = @('PeopleSettings.ReadWrite.All') }; Expected = $true }
        @{ Case = 'an app token with Read only'; Token = @{ Roles = @('PeopleSettings.Read.All') }; Expected = $false }
        @{ Case = 'a People Administrator with the scope'; Token = @{ Scope = 'PeopleSettings.ReadWrite.All'; Wids = @($People) }; Expected = $true }
        @{ Case = 'a Helpdesk Administrator with the scope'; Token = @{ Scope = 'PeopleSettings.ReadWrite.All'; Wids = @($Helpdesk) }; Expected = $false }
        @{ Case = 'a People Administrator without the scope'; Token = @{ Scope = 'PeopleSettings.Read.All'; Wids = @($People) }; Expected = $false }
        @{ Case = 'a user whose token lists no roles (no wids claim)'; Token = @{ Scope = 'PeopleSettings.ReadWrite.All'; OmitWids = $true }; Expected = $true }
    )
}

AfterAll {
    Disconnect-PhotoUpdatePolicy
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Pre-flight: a token that cannot change the policy is refused before any request' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It 'Set-, Reset- and Import-PhotoUpdatePolicy with <Case>: PermissionDenied, zero requests' -ForEach $Refused {
        $c = New-Case -Token $Token
        Clear-EmulatorRequest -Emulator $script:Emulator
        $calls = @(
            { Set-PhotoUpdatePolicy @c -Source Cloud -Confirm:$false }
            { Reset-PhotoUpdatePolicy @c -Confirm:$false }
            { Import-PhotoUpdatePolicy @c -InputObject @{ schemaVersion = 1; source = 'cloud' } -Confirm:$false }
        )
        foreach ($call in $calls) {
            $err = Get-ErrorRecord $call
            $err | Should -Not -BeNullOrEmpty -Because "$call"
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden,*'
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
            $err.Exception.HttpStatus | Should -BeNullOrEmpty -Because 'the service was never asked'
        }
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId).source | Should -Be 'onPremises'
    }

    It 'in a fleet import the refused tenant fails on its own, without a request; the others change' {
        $fleet = @(
            [pscustomobject](New-Case -Token @{ Roles = @('PeopleSettings.ReadWrite.All') })
            [pscustomobject](New-Case -Token @{ Roles = @('PeopleSettings.Read.All') })
        ) | Select-Object TenantId, AccessToken
        $alone = [pscustomobject](New-Case -Token @{ Roles = @('PeopleSettings.ReadWrite.All') }) | Select-Object TenantId, AccessToken
        $desired = @{ schemaVersion = 1; source = 'cloud' }

        # What one allowed tenant costs, measured on its own.
        Clear-EmulatorRequest -Emulator $script:Emulator
        $null = $alone | Import-PhotoUpdatePolicy -InputObject $desired @script:Endpoint -Confirm:$false -WarningAction SilentlyContinue
        $perTenant = @(Get-EmulatorRequest -Emulator $script:Emulator).Count
        $perTenant | Should -BeGreaterThan 0

        Clear-EmulatorRequest -Emulator $script:Emulator
        $results = @($fleet | Import-PhotoUpdatePolicy -InputObject $desired @script:Endpoint -PassThru -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        ($results | Where-Object TenantId -eq $fleet[0].TenantId).Status | Should -Be 'Changed'
        ($results | Where-Object TenantId -eq $fleet[1].TenantId).Status | Should -Be 'Failed'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden,*'
        $errs[0].Exception.Message | Should -Match 'PeopleSettings.ReadWrite.All'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be $perTenant -Because 'the refused tenant sends nothing'
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $fleet[1].TenantId).source | Should -Be 'onPremises'
    }

    It '-WhatIf with a read-only token: the refusal is what would happen, with zero requests' {
        $c = New-Case -Token @{ Roles = @('PeopleSettings.Read.All') }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $calls = @(
            { Set-PhotoUpdatePolicy @c -Source Cloud -WhatIf }
            { Reset-PhotoUpdatePolicy @c -WhatIf }
            { Import-PhotoUpdatePolicy @c -InputObject @{ schemaVersion = 1; source = 'cloud' } -WhatIf }
        )
        foreach ($call in $calls) {
            $err = Get-ErrorRecord $call
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden,*' -Because "$call"
            $err.Exception.Message | Should -Match 'PeopleSettings\.ReadWrite\.All'
        }
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }
}

Describe 'Pre-flight: what can only be suspected is a warning, and the request goes ahead' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It 'a delegated token without a wids claim: warned once, then the service decides' {
        $c = New-Case -Token @{ Scope = 'PeopleSettings.ReadWrite.All'; OmitWids = $true }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = $null
        try { Set-PhotoUpdatePolicy @c -Source Cloud -Confirm:$false -ErrorAction Stop -WarningVariable w -WarningAction SilentlyContinue } catch { $err = $_ }
        @($w).Count | Should -Be 1
        "$($w[0])" | Should -Match 'wids'
        "$($w[0])" | Should -Match 'People Administrator'
        # The emulator cannot see the user's roles either: it refuses the read, as Graph would
        # for a user without one. What matters here: the request was sent.
        @(Get-EmulatorRequest -Emulator $script:Emulator | ForEach-Object method) | Should -Be @('GET')
        $err.Exception.HttpStatus | Should -Be 403
    }

    It 'an opaque token: warned that it cannot be read, and the request is sent' {
        $c = @{ AccessToken = 'EwBwA8l6BAAU-opaque-token-value'; TenantId = [guid]::NewGuid().ToString() } + $script:Endpoint
        Clear-EmulatorRequest -Emulator $script:Emulator
        try { Reset-PhotoUpdatePolicy @c -Confirm:$false -ErrorAction Stop -WarningVariable w -WarningAction SilentlyContinue } catch { $null = $_ }
        @($w).Count | Should -Be 1 -Because 'the plan checks the token, the reset that follows does not warn again'
        "$($w[0])" | Should -Match 'cannot be read'
        "$($w[0])" | Should -Not -Match 'EwBwA8l6BAAU'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -BeGreaterThan 0
    }

    It 'a token that may change the policy passes without a pre-flight warning' {
        foreach ($token in @(@{ Roles = @('PeopleSettings.ReadWrite.All') }, @{ Scope = 'PeopleSettings.ReadWrite.All'; Wids = @($script:Roles.People) })) {
            $c = New-Case -Token $token
            Set-PhotoUpdatePolicy @c -Source Cloud -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
            (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId).source | Should -Be 'cloud'
            @($w | Where-Object { "$_" -notmatch '24 hours' }).Count | Should -Be 0
        }
    }
}

Describe 'Pre-flight: CanChangePolicy follows the same rule' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator; Disconnect-PhotoUpdatePolicy }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It '<Case>: CanChangePolicy is <Expected>' -ForEach $Shapes {
        $c = New-Case -Token $Token
        $connection = Connect-PhotoUpdatePolicy @c -PassThru
        $connection.CanChangePolicy | Should -Be $Expected
        (Get-PhotoUpdatePolicyConnection).CanChangePolicy | Should -Be $Expected
    }

    It 'an opaque token: CanChangePolicy is false (nothing shows it may)' {
        $c = Connect-PhotoUpdatePolicy -AccessToken 'EwBwA8l6BAAU-opaque-token-value' -TenantId ([guid]::NewGuid().ToString()) @script:Endpoint -PassThru
        $c.CanChangePolicy | Should -BeFalse
    }
}
