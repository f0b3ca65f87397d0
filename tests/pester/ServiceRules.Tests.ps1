# The service's own rules, as an admin meets them: which roles the service accepts, roles only
# with source cloud, one spelling of each state. Under the service as Microsoft's recorded answers
# show it and under the earlier reading: the client must be right either way.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe

    # Only the writes: reads are allowed before a refusal that depends on the tenant's policy.
    function Get-PolicyWrite {
        @(Get-PolicyRequest $script:Emulator | Where-Object method -ne 'GET')
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Get-PhotoUpdatePolicyRole shows what the service accepts' {
    It 'has a Status and the source documenting it for every role' {
        $roles = @(Get-PhotoUpdatePolicyRole)
        @($roles | Where-Object Status -eq 'Accepted').Name | Should -Be @('Global Administrator', 'User Administrator', 'People Administrator')
        @($roles | Where-Object Status -eq 'Refused').Name | Should -Be @('Directory Writers', 'Intune Administrator', 'Partner Tier1 Support', 'Partner Tier2 Support')
        ($roles | Where-Object Name -eq 'People Administrator').DocumentedBy | Should -Match 'Learn'
        ($roles | Where-Object Name -eq 'User Administrator').DocumentedBy | Should -Match 'support troubleshooting guide'
        ($roles | Where-Object Name -eq 'Directory Writers').Note | Should -Match 'refuses'
        ($roles | Format-Table | Out-String) | Should -Match 'Status'
        ($roles | Format-Table | Out-String) | Should -Match 'Refused'
    }

    It 'names a directory role that cannot be used here, by name and by ID, without a more privileged suggestion' {
        foreach ($value in 'Helpdesk Administrator', '729827e3-9c14-49f7-bb1b-9608f156bbb8') {
            $err = Get-ErrorRecord { Get-PhotoUpdatePolicyRole -Name $value }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
            $err.Exception.Message | Should -Match 'Helpdesk Administrator:? (is )?a directory role, but it cannot be used in the photo update policy'
            $err.Exception.Message | Should -Match 'Use People Administrator'
        }
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicyRole -Name 'Global Reader' }
        $err.Exception.Message | Should -Match 'Global Reader is a directory role'
        $err.Exception.Message | Should -Not -Match "Did you mean 'Global Administrator'"
    }
}

Describe 'Service rules under <Name>' -ForEach @(
    @{ Name = 'the recorded service'; Settings = @{ preset = 'recorded' } }
    @{ Name = 'the recorded service, roles cleared only with null'; Settings = @{ preset = 'recorded'; onPremisesRoles = 'nullOnly' } }
    @{ Name = 'the recorded service, roles accepted with source not set'; Settings = @{ preset = 'recorded'; notSetRoles = 'accepted' } }
    @{ Name = 'the earlier reading'; Settings = @{ preset = 'learn' } }
) {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        Set-EmulatorProfile -Emulator $script:Emulator -Settings $Settings
        $script:c = New-TestConnection -Emulator $script:Emulator
    }

    It 'reads the default policy with its Source key as NotSet' {
        $p = Get-PhotoUpdatePolicy @c
        $p.Source | Should -Be 'NotSet'
        $p.EveryoneCanChangePhoto | Should -BeTrue
        $p.AdditionalProperties.Count | Should -Be 0
    }

    It 'refuses a role the service refuses before anything is sent, saying why and what to use' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AllowedRoles 'Global Administrator', 'Directory Writers' -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'Directory Writers holds the permission to change users'' photos'
        $err.Exception.Message | Should -Match 'the service refuses it in allowedRoles'
        $err.Exception.Message | Should -Match 'Use People Administrator \(the least privileged'
        $err.ErrorDetails.RecommendedAction | Should -Match '-AllowRefusedRole'
        $err.Exception.Message | Should -Not -Match 'allowServiceRefusedRoles'
        @(Get-PolicyRequest $script:Emulator).Count | Should -Be 0
    }

    It 'sends a refused role with -AllowRefusedRole, with a warning' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
        Clear-EmulatorRequest -Emulator $script:Emulator
        # The service may still refuse it (it does under the recorded service): that error is its own.
        Set-PhotoUpdatePolicy @c -AllowedRoles 'Intune Administrator' -AllowRefusedRole -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        ($w -join "`n") | Should -Match 'Intune Administrator is sent because -AllowRefusedRole is set'
        $patch = @(Get-PolicyWrite)
        $patch.Count | Should -Be 1
        $patch[0].body | Should -Match '3a2c62db-5318-420d-8d74-23affee5d9d5'
    }

    It 'refuses OnPremises while roles are set, naming the fix, and sends nothing' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -Confirm:$false -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        foreach ($source in 'OnPremises', 'NotSet') {
            $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source $source -Confirm:$false }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidArgument,*'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match 'only when the source is Cloud'
            $err.Exception.Message | Should -Match '-AllowedRoles @\(\)'
        }
        @(Get-PolicyWrite).Count | Should -Be 0
        # Asking for both at once is refused before any request.
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source OnPremises -AllowedRoles 'Global Administrator' -Confirm:$false }
        $err.Exception.Message | Should -Match '-Source Cloud'
        @(Get-PolicyRequest $script:Emulator).Count | Should -Be 0
    }

    It 'with the fix, one PATCH changes both, clearing the roles with null' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -Confirm:$false -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        $r = Set-PhotoUpdatePolicy @c -Source OnPremises -AllowedRoles @() -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $r.Source | Should -Be 'OnPremises'
        $r.EveryoneCanChangePhoto | Should -BeTrue
        $patch = @(Get-PolicyWrite)
        $patch.Count | Should -Be 1
        ($patch[0].body | ConvertFrom-Json | ConvertTo-Json -Compress) | Should -Be '{"source":"onPremises","allowedRoles":null}'
        ($r.Changes | Where-Object Property -eq 'AllowedRoles').ToString() | Should -Be 'AllowedRoles: People Administrator → (none)'
    }

    It 'refuses restricting roles on an on-premises policy unless the same call sets Cloud' {
        Set-PhotoUpdatePolicy @c -Source OnPremises -Confirm:$false -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AddAllowedRole 'People Administrator' -Confirm:$false }
        $err.Exception.Message | Should -Match '-Source Cloud'
        @(Get-PolicyWrite).Count | Should -Be 0
        Set-PhotoUpdatePolicy @c -Source Cloud -AddAllowedRole 'People Administrator' -Confirm:$false -WarningAction SilentlyContinue
        $patch = @(Get-PolicyWrite)
        $patch.Count | Should -Be 1
        ($patch[0].body | ConvertFrom-Json | ConvertTo-Json -Compress) | Should -Be ('{"source":"cloud","allowedRoles":["' + $script:Roles.People + '"]}')
    }

    It 'sends every property named when something changes, nothing when nothing does' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'Global Administrator' -Confirm:$false -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -Confirm:$false -WarningAction SilentlyContinue
        $patch = @(Get-PolicyWrite)
        $patch.Count | Should -Be 1
        @(($patch[0].body | ConvertFrom-Json).PSObject.Properties.Name) | Should -Be @('source', 'allowedRoles')
        Clear-EmulatorRequest -Emulator $script:Emulator
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -Confirm:$false
        @(Get-PolicyWrite).Count | Should -Be 0
    }

    It 'Reset from a cloud policy with roles clears the roles with null and verifies' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'Global Administrator' -Confirm:$false -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        $r = Reset-PhotoUpdatePolicy @c -Confirm:$false -PassThru -WarningAction SilentlyContinue
        $r.Verified | Should -BeTrue
        $r.Source | Should -Be 'NotSet'
        ((@(Get-PolicyWrite)[0]).body | ConvertFrom-Json | ConvertTo-Json -Compress) | Should -Be '{"source":null,"allowedRoles":null}'
    }

    It 'Import and Test refuse a document with roles and source onPremises before anything is sent' {
        $doc = @{ schemaVersion = 1; source = 'onPremises'; allowedRoles = @('Global Administrator') }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Import-PhotoUpdatePolicy @c -InputObject $doc -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidDocument,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'only when the source is Cloud'
        $err.Exception.Message | Should -Match '"allowedRoles": \[\]'
        $err = Get-ErrorRecord { Test-PhotoUpdatePolicy @c -InputObject $doc }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidDocument,*'
        @(Get-PolicyRequest $script:Emulator).Count | Should -Be 0
    }

    It 'Import and Test refuse a refused role unless -AllowRefusedRole' {
        $doc = @{ schemaVersion = 1; source = 'cloud'; allowedRoles = @('Directory Writers') }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Import-PhotoUpdatePolicy @c -InputObject $doc -Confirm:$false }
        $err.Exception.Message | Should -Match 'Directory Writers holds the permission'
        $err.ErrorDetails.RecommendedAction | Should -Match '-AllowRefusedRole'
        $err = Get-ErrorRecord { Test-PhotoUpdatePolicy @c -InputObject $doc }
        $err.Exception.Message | Should -Match 'Directory Writers holds the permission'
        @(Get-PolicyRequest $script:Emulator).Count | Should -Be 0
        $result = Test-PhotoUpdatePolicy @c -InputObject $doc -AllowRefusedRole -WarningVariable w -WarningAction SilentlyContinue
        $result.Compliant | Should -BeFalse
        ($w -join "`n") | Should -Match 'Directory Writers is sent because -AllowRefusedRole'
    }

    It 'Export of a policy read with a Source key imports back without loss' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator', 'User Administrator' -Confirm:$false -WarningAction SilentlyContinue
        $doc = Export-PhotoUpdatePolicy @c
        $doc.source | Should -Be 'cloud'
        @($doc.allowedRoles.name) | Should -Be @('People Administrator', 'User Administrator')
        (Test-PhotoUpdatePolicy @c -InputObject $doc).Compliant | Should -BeTrue
        Reset-PhotoUpdatePolicy @c -Confirm:$false -WarningAction SilentlyContinue
        (Import-PhotoUpdatePolicy @c -InputObject $doc -Confirm:$false -PassThru -WarningAction SilentlyContinue).Status | Should -Be 'Changed'
        (Test-PhotoUpdatePolicy @c -InputObject $doc).Compliant | Should -BeTrue
    }

    It '-WhatIf and verbose name the states as the objects do' {
        # -WhatIf writes to the host: a transcript is how an admin's screen is captured.
        $log = Join-Path ([System.IO.Path]::GetTempPath()) "whatif-$([guid]::NewGuid()).txt"
        Start-Transcript -LiteralPath $log | Out-Null
        try {
            Set-PhotoUpdatePolicy @c -Source OnPremises -WhatIf
        } finally {
            Stop-Transcript | Out-Null
        }
        $whatIf = Get-Content -LiteralPath $log -Raw
        Remove-Item -LiteralPath $log
        $whatIf | Should -Match 'Source: NotSet → OnPremises'
        $verbose = @(Set-PhotoUpdatePolicy @c -Source Cloud -Verbose -Confirm:$false -WarningAction SilentlyContinue 4>&1 | ForEach-Object Message) -join "`n"
        $verbose | Should -Match 'Applying: Source: NotSet → Cloud'
        foreach ($text in $whatIf, $verbose) {
            $text | Should -Not -Match 'not set'
            $text | Should -Not -CMatch '→ (cloud|onPremises)'
        }
    }
}
