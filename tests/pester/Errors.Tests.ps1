# Bad input and service failures become ErrorRecords with stable ErrorIds, categories, the
# support details and a recommended action; Ctrl+C returns promptly.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Bad input is refused before anything is sent' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        $script:c = New-TestConnection -Emulator $script:Emulator
        Clear-EmulatorRequest -Emulator $script:Emulator
    }

    It 'an unknown role name: InvalidRole naming the value and the closest role' {
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AllowedRoles 'Peple Administrator' }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'Peple Administrator'
        $err.Exception.Message | Should -Match 'People Administrator'
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It 'a malformed GUID: InvalidRole naming the value' {
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AddAllowedRole '62e90394-69f5-4237-9190-01217714' }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
        $err.Exception.Message | Should -Match '62e90394-69f5-4237-9190-01217714'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It 'an unknown role ID needs -AllowUnknownRoleId' {
        $custom = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AllowedRoles $custom }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It 'a role with a leading space and braces is accepted (old Microsoft example)' {
        $result = Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles (' {' + $script:Roles.Global.ToUpperInvariant() + '}') -PassThru -WarningAction SilentlyContinue
        $result.AllowedRoles.Id | Should -Be $script:Roles.Global
    }

    It 'an invalid source names the value and the allowed ones' {
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source Everywhere }
        $err.Exception.Message | Should -Match 'Everywhere'
        $err.Exception.Message | Should -Match 'Cloud,OnPremises,NotSet'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It 'no change parameter: a clear error' {
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NoChangeRequested,*'
    }

    It 'no token: NotConnected with a recommended action' {
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -GraphEndpoint $script:Emulator.Url -AllowInsecureLoopback }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotConnected,*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.ErrorDetails.RecommendedAction | Should -Match 'AccessToken'
    }

    It 'an http:// endpoint without -AllowInsecureLoopback is refused' {
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -AccessToken $c.AccessToken -GraphEndpoint $script:Emulator.Url }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidArgument,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        # The switch to pass, by its parameter name (not the C ABI's config key).
        $err.Exception.Message | Should -CMatch '-AllowInsecureLoopback is not set'
        $err.Exception.Message | Should -Not -CMatch '(?<!-)allowInsecureLoopback'
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It 'a deprecated role warns' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'Partner Tier1 Support', 'Global Administrator' -AllowUnknownRoleId -AllowRefusedRole -WhatIf -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -Match 'Partner Tier1 Support'
    }

    It 'never shows the token in errors' {
        $plain = New-EmulatorToken -Emulator $script:Emulator -TenantId ([guid]::NewGuid()) -ExpiresInSeconds -600 -AsPlainText
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -AccessToken $plain -GraphEndpoint $script:Emulator.Url -AllowInsecureLoopback }
        ($err | Format-List * -Force | Out-String) + $err.Exception.ToString() | Should -Not -Match ([regex]::Escape($plain.Substring(20, 30)))
    }
}

Describe 'Service errors become ErrorRecords' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
    }

    It '401 (expired token): Unauthorized, AuthenticationError' {
        $c = New-TestConnection -Emulator $script:Emulator -ExpiresInSeconds -600
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -Be 'PhotoUpdatePolicy.Unauthorized,PhotoUpdatePolicy.Commands.GetPhotoUpdatePolicyCommand'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception | Should -BeOfType ([PhotoUpdatePolicy.PhotoPolicyException])
        $err.Exception.Status | Should -Be 'Authentication'
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It '403 (read-only permission on a write): Forbidden, PermissionDenied, with request ids' {
        $c = New-TestConnection -Emulator $script:Emulator -Roles 'PeopleSettings.Read.All'
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source Cloud }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden,*'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.ErrorDetails.RecommendedAction | Should -Match 'PeopleSettings.ReadWrite.All'
        $err.TargetObject | Should -Be $c.TenantId
    }

    It '403 from the service carries its code and request-id' {
        $c = New-TestConnection -Emulator $script:Emulator -Roles 'User.Read.All'
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden,*'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        if ($err.Exception.HttpStatus -eq 403) {
            $err.Exception.RequestId | Should -Not -BeNullOrEmpty
            $err.Exception.Message | Should -Match ([regex]::Escape($err.Exception.RequestId))
            $err.Exception.ClientRequestId | Should -Not -BeNullOrEmpty
        }
    }

    It '429 beyond the retry budget: Throttled, ResourceUnavailable, RetryAfter' {
        $c = New-TestConnection -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -RetryAfterSeconds 0 -Count 50
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Throttled,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.HttpStatus | Should -Be 429
        # What to raise, by parameter name and unit: never a config key.
        $err.Exception.Message | Should -Match '\(-MaxRetries \d+\)|-RetryBudgetSec \d+'
        $err.ErrorDetails.RecommendedAction | Should -Match '-MaxRetries, -RetryBudgetSec'
        "$($err.Exception.Message) $($err.ErrorDetails.RecommendedAction)" | Should -Not -CMatch 'timeouts\.|retry\.|totalMs|connectMs|maxRetries|budgetMs|maxRetryAfterSeconds|allowInsecureLoopback'
        @(Get-PolicyRequest $script:Emulator).Count | Should -BeGreaterThan 1
    }

    It '503 beyond the retry budget: ServiceUnavailable, ResourceUnavailable' {
        $c = New-TestConnection -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind unavailable -Count 50
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ServiceUnavailable,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
    } 

    It '404: NotFound, ObjectNotFound, with the request-id and no retry' {
        $c = New-TestConnection -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind notFound -Count 1
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotFound,*'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Code | Should -Be 'ResourceNotFound'
        $err.Exception.RequestId | Should -Not -BeNullOrEmpty
        @(Get-PolicyRequest $script:Emulator).Count | Should -Be 1
    }

    It '403 ForbiddenBy*: explains the photo policy and what to do' {
        $c = New-TestConnection -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind forbiddenByPolicy -Count 1
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden,*'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.Exception.Code | Should -Be 'ForbiddenByAdminEditPolicy'
        $err.Exception.Message | Should -Match 'photo'
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'the PeopleAdmin refusal (status <_>): ValidationFailed, InvalidArgument, the service''s own words, every request id, no retry' -ForEach @(400, 503) {
        $c = New-TestConnection -Emulator $script:Emulator
        Set-EmulatorProfile -Emulator $script:Emulator -Settings @{ refusalStatus = "$_" }
        Add-EmulatorFault -Emulator $script:Emulator -Kind peopleAdminRefusal -Method PATCH -Count 1 -RetryAfterSeconds 1
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source Cloud -WarningAction SilentlyContinue }
        $err.FullyQualifiedErrorId | Should -Be 'PhotoUpdatePolicy.ValidationFailed,PhotoUpdatePolicy.Commands.SetPhotoUpdatePolicyCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Status | Should -Be 'ValidationFailed'
        $err.Exception.HttpStatus | Should -Be $_
        $err.Exception.Code | Should -Be 'UnknownError'
        $err.Exception.Message | Should -Match ([regex]::Escape('AllowedRoles: Unsupported role for cloud photo update settings.'))
        $err.ErrorDetails.RecommendedAction | Should -Match 'People Administrator'
        $err.Exception.RequestId | Should -Not -BeNullOrEmpty
        $err.Exception.ClientRequestId | Should -Not -BeNullOrEmpty
        $err.Exception.PeopleAdminRequestId | Should -Match '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        $err.Exception.PeopleAdminRequestId | Should -Not -Be $err.Exception.RequestId
        foreach ($id in $err.Exception.RequestId, $err.Exception.ClientRequestId, $err.Exception.PeopleAdminRequestId) {
            $err.Exception.Message | Should -Match ([regex]::Escape($id))
        }
        # The service's text stays one readable line.
        $err.Exception.ServiceMessage | Should -Not -Match "`n"
        @(Get-PolicyRequest $script:Emulator | Where-Object method -eq 'PATCH').Count | Should -Be 1
    }

    It 'a transient 429 is retried and succeeds' {
        $c = New-TestConnection -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -RetryAfterSeconds 0 -Count 1
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'a malformed answer: InvalidResponse' {
        $c = New-TestConnection -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind malformedJson -Count 50
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidResponse,*'
    }
}

Describe 'Ctrl+C' {
    It 'Stop() cancels a slow call and returns within 1 s' {
        Reset-Emulator -Emulator $script:Emulator
        $c = New-TestConnection -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -LatencyMs 5000
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($script:Manifest)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand('Get-PhotoUpdatePolicy').AddParameters($c)
            $async = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 1000
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Stop()
            $watch.Elapsed.TotalMilliseconds | Should -BeLessThan 1000
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        } finally {
            $ps.Dispose()
            Clear-EmulatorFault -Emulator $script:Emulator
        }
    }
}
