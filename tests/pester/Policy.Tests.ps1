# Get / Set / Reset against the Graph emulator, the way an admin uses them, under the emulator
# profiles that play the service's unconfirmed behaviours.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Get-PhotoUpdatePolicyRole' {
    It 'lists the catalog with names and template IDs' {
        $roles = @(Get-PhotoUpdatePolicyRole)
        $roles.Count | Should -BeGreaterOrEqual 7
        ($roles | Where-Object Name -eq 'People Administrator').Id | Should -Be $script:Roles.People
        ($roles | Where-Object Id -eq $script:Roles.Tier1).Deprecated | Should -BeTrue
    }

    It 'finds a role by ID in any casing, with braces, and by wildcard' {
        (Get-PhotoUpdatePolicyRole -Name ('{' + $script:Roles.Global.ToUpperInvariant() + '}')).Name | Should -Be 'Global Administrator'
        @(Get-PhotoUpdatePolicyRole -Name '*Administrator').Count | Should -BeGreaterOrEqual 3
    }

    It 'names the closest role for a typo' {
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicyRole -Name 'People Admnistrator' }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
        $err.Exception.Message | Should -Match 'People Administrator'
    }

    It 'completes role names, quoting names with spaces' {
        $line = 'Set-PhotoUpdatePolicy -AddAllowedRole Peo'
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Contain "'People Administrator'"
    }
}

# Every emulator profile that changes what travels on the wire (docs/emulator.md), each from the
# service as recorded (or the earlier reading, `learn`): one emulator, its profile switched through
# the control API for each context.
Describe 'Policy cmdlets under profile <Name>' -ForEach @(
    @{ Name = 'default'; Settings = @{} }
    @{ Name = 'recorded'; Settings = @{ preset = 'recorded' } }
    @{ Name = 'learn'; Settings = @{ preset = 'learn' } }
    @{ Name = 'sourceKey=source'; Settings = @{ preset = 'recorded'; sourceKey = 'source' } }
    @{ Name = 'sourceKey=SOURCE'; Settings = @{ preset = 'recorded'; sourceKey = 'SOURCE' } }
    @{ Name = 'propertyCasing=strict'; Settings = @{ preset = 'recorded'; propertyCasing = 'strict' } }
    @{ Name = 'enumCasing=strict'; Settings = @{ preset = 'recorded'; enumCasing = 'strict' } }
    @{ Name = 'acceptedRoles=all'; Settings = @{ preset = 'recorded'; acceptedRoles = 'all' } }
    @{ Name = 'notSetRoles=accepted'; Settings = @{ preset = 'recorded'; notSetRoles = 'accepted' } }
    @{ Name = 'onPremisesRoles=nullOnly'; Settings = @{ preset = 'recorded'; onPremisesRoles = 'nullOnly' } }
    @{ Name = 'read=list'; Settings = @{ preset = 'recorded'; read = 'list' } }
    @{ Name = 'patch=204'; Settings = @{ preset = 'recorded'; patch = '204' } }
    @{ Name = 'defaultAllowedRoles=empty'; Settings = @{ preset = 'recorded'; defaultAllowedRoles = 'empty' } }
    @{ Name = 'defaultAllowedRoles=missing, includeId'; Settings = @{ preset = 'recorded'; defaultAllowedRoles = 'missing'; includeId = 'true' } }
    @{ Name = 'defaultAllowedRoles=object'; Settings = @{ preset = 'recorded'; defaultAllowedRoles = 'object' } }
    @{ Name = 'delete=refused'; Settings = @{ preset = 'recorded'; delete = 'refused' } }
    @{ Name = 'patchSourceNull=refused'; Settings = @{ preset = 'recorded'; patchSourceNull = 'refused' } }
) {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        if ($Settings.Count) { Set-EmulatorProfile -Emulator $script:Emulator -Settings $Settings }
        $script:c = New-TestConnection -Emulator $script:Emulator
    }

    It 'Get returns one typed policy at the tenant default' {
        $policy = @(Get-PhotoUpdatePolicy @c)
        $policy.Count | Should -Be 1
        $policy[0] | Should -BeOfType ([PhotoUpdatePolicy.Policy])
        $policy[0].Source | Should -Be 'NotSet'
        $policy[0].AllowedRoles.Count | Should -Be 0
        $policy[0].EveryoneCanChangePhoto | Should -BeTrue
        $policy[0].TenantId | Should -Be $c.TenantId
        $policy[0].Cloud | Should -Be 'Global'
    }

    It 'Set -WhatIf sends no write and describes the change' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        $out = Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -WhatIf 6>&1 | Out-String
        @(Get-PolicyRequest $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'Set changes source and roles by name, then -PassThru shows before and after' {
        $result = Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator', $script:Roles.Global -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        $result | Should -BeOfType ([PhotoUpdatePolicy.PolicySetResult])
        $result.Source | Should -Be 'Cloud'
        @($result.AllowedRoles.Name) | Should -Be @('People Administrator', 'Global Administrator')
        $result.EveryoneCanChangePhoto | Should -BeFalse
        $result.PreviousPolicy.Source | Should -Be 'NotSet'
        @($result.Changes.Property) | Should -Contain 'Source'
        @($result.Changes.Property) | Should -Contain 'AllowedRoles'
        $result.Applied | Should -BeTrue
        ($warnings -join "`n") | Should -Match '24 hours'

        $stored = Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId
        $stored.source | Should -Be 'cloud'
        @($stored.allowedRoles) | Should -Be @($script:Roles.People, $script:Roles.Global)
        $patch = @(Get-PolicyRequest $script:Emulator | Where-Object method -eq 'PATCH')
        $patch.Count | Should -Be 1
    }

    It 'a change costs one GET and one PATCH: the plan read is the one written, not read again' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -WarningAction SilentlyContinue
        # A PATCH answered 204 has no body: the policy is read back once after it.
        $expected = if ($Settings['patch'] -eq '204') { @('GET', 'PATCH', 'GET') } else { @('GET', 'PATCH') }
        @(Get-PolicyRequest $script:Emulator).method | Should -Be $expected
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId).source | Should -Be 'cloud'
    }

    It 'a reset costs one GET, the write and the read-back that verifies it: the plan read is not read again' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        Reset-PhotoUpdatePolicy @c -Confirm:$false -WarningAction SilentlyContinue
        # Where the PATCH clearing the source is refused, DELETE is the fallback.
        $expected = if ($Settings['patchSourceNull'] -eq 'refused') { @('GET', 'PATCH', 'DELETE', 'GET') } else { @('GET', 'PATCH', 'GET') }
        @(Get-PolicyRequest $script:Emulator).method | Should -Be $expected
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'an import costs one GET and one PATCH per tenant: the plan read is the one written' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        $doc = @{ schemaVersion = 1; source = 'cloud'; allowedRoles = @('People Administrator') }
        Import-PhotoUpdatePolicy @c -InputObject $doc -Confirm:$false -WarningAction SilentlyContinue
        $expected = if ($Settings['patch'] -eq '204') { @('GET', 'PATCH', 'GET') } else { @('GET', 'PATCH') }
        @(Get-PolicyRequest $script:Emulator).method | Should -Be $expected
        @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId).allowedRoles) | Should -Be @($script:Roles.People)
    }

    It 'Set without -PassThru writes nothing to output and reports the previous state in Verbose' {
        $out = @(Set-PhotoUpdatePolicy @c -Source OnPremises -Verbose -WarningAction SilentlyContinue 4>&1)
        @($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n" | Should -Match 'Previous photo update policy.*Source=NotSet'
    }

    It 'an unchanged policy sends only the GET and says so' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        $out = @(Set-PhotoUpdatePolicy @c -Source NotSet -InformationVariable info)
        $out.Count | Should -Be 0
        ($info -join "`n") | Should -Match 'nothing was sent'
        @(Get-PolicyRequest $script:Emulator).method | Should -Be @('GET')
    }

    It 'adds and removes roles without re-sending the others' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'Global Administrator' -WarningAction SilentlyContinue
        Set-PhotoUpdatePolicy @c -AddAllowedRole 'People Administrator', 'User Administrator' -WarningAction SilentlyContinue
        @((Get-PhotoUpdatePolicy @c).AllowedRoles.Name) | Should -Be @('Global Administrator', 'People Administrator', 'User Administrator')
        Set-PhotoUpdatePolicy @c -RemoveAllowedRole 'Global Administrator' -WarningAction SilentlyContinue
        @((Get-PhotoUpdatePolicy @c).AllowedRoles.Name) | Should -Be @('People Administrator', 'User Administrator')
    }

    It '-AllowedRoles @() lifts the restriction' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'Global Administrator' -WarningAction SilentlyContinue
        $result = Set-PhotoUpdatePolicy @c -AllowedRoles @() -PassThru -WarningAction SilentlyContinue
        $result.EveryoneCanChangePhoto | Should -BeTrue
        $result.PreviousPolicy.AllowedRoles.Name | Should -Be 'Global Administrator'
    }

    It 'a piped policy binds its tenant but never re-sends its roles' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'Global Administrator' -WarningAction SilentlyContinue
        $old = Get-PhotoUpdatePolicy @c
        # Someone else moves photos on-premises (clearing the roles) after $old was read.
        Set-PhotoUpdatePolicy @c -Source OnPremises -AllowedRoles @() -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        $token = $c.AccessToken
        $old | Set-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $script:Emulator.Url -AllowInsecureLoopback -Source Cloud -WarningAction SilentlyContinue
        $patch = @(Get-PolicyRequest $script:Emulator | Where-Object method -eq 'PATCH')
        $patch.Count | Should -Be 1
        ($patch[0].body | ConvertFrom-Json -AsHashtable).Keys | Should -Be @('source')
        $now = Get-PhotoUpdatePolicy @c
        $now.Source | Should -Be 'Cloud'
        @($now.AllowedRoles).Count | Should -Be 0
    }

    It 'Reset returns to the default, verified, and says how' {
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -WarningAction SilentlyContinue
        $result = Reset-PhotoUpdatePolicy @c -Confirm:$false -PassThru -WarningAction SilentlyContinue
        $result | Should -BeOfType ([PhotoUpdatePolicy.PolicyResetResult])
        $result.Verified | Should -BeTrue
        $result.ResetMethod | Should -BeIn @('Patch', 'Delete')
        $result.Source | Should -Be 'NotSet'
        $result.EveryoneCanChangePhoto | Should -BeTrue
        $result.PreviousPolicy.Source | Should -Be 'Cloud'
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'Reset of a default policy sends no write and reports AlreadyDefault' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        $result = Reset-PhotoUpdatePolicy @c -PassThru
        $result.ResetMethod | Should -Be 'AlreadyDefault'
        @(Get-PolicyRequest $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0
    }

    It 'Reset -WhatIf sends no write' {
        Set-PhotoUpdatePolicy @c -Source Cloud -WarningAction SilentlyContinue
        Clear-EmulatorRequest -Emulator $script:Emulator
        Reset-PhotoUpdatePolicy @c -WhatIf
        @(Get-PolicyRequest $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'Cloud'
    }
}

Describe 'Reset fallbacks' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        $script:c = New-TestConnection -Emulator $script:Emulator
        Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'User Administrator' -WarningAction SilentlyContinue
    }

    It 'falls back to DELETE when PATCH with a null source is refused' {
        Set-EmulatorProfile -Emulator $script:Emulator -Settings @{ patchSourceNull = 'refused' }
        $result = Reset-PhotoUpdatePolicy @c -Confirm:$false -PassThru -WarningAction SilentlyContinue
        $result.ResetMethod | Should -Be 'Delete'
        $result.Verified | Should -BeTrue
        $result.Source | Should -Be 'NotSet'
    }

    It 'uses PATCH when DELETE is refused' {
        Set-EmulatorProfile -Emulator $script:Emulator -Settings @{ delete = 'refused' }
        $result = Reset-PhotoUpdatePolicy @c -Confirm:$false -PassThru -WarningAction SilentlyContinue
        $result.ResetMethod | Should -Be 'Patch'
        $result.Verified | Should -BeTrue
    }
}

Describe 'Output formatting and JSON' {
    BeforeAll {
        Reset-Emulator -Emulator $script:Emulator
        $script:c = New-TestConnection -Emulator $script:Emulator
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId -Policy @{
            source = 'cloud'; allowedRoles = @($script:Roles.People); futureSetting = @{ level = 2 }
        }
        $script:policy = Get-PhotoUpdatePolicy @c
    }

    It 'keeps unknown properties' {
        $policy.AdditionalProperties['futureSetting']['level'] | Should -Be 2
    }

    It 'prints a readable list with role names' {
        $text = $policy | Out-String
        $text | Should -Match 'Source\s+: Cloud'
        $text | Should -Match 'AllowedRoles\s+: People Administrator \(024906de-61e5-49c8-8572-40335f1e0e10\)'
        $text | Should -Match 'EveryoneCanChangePhoto\s+: False'
        ($policy | Format-Table | Out-String -Width 200) | Should -Match 'Cloud\s+False\s+People Administrator'
    }

    It 'converts to clean JSON' {
        $json = $policy | ConvertTo-Json -Depth 5 | ConvertFrom-Json
        @($json.PSObject.Properties.Name) | Should -Be @('TenantId', 'Cloud', 'Source', 'AllowedRoles', 'EveryoneCanChangePhoto', 'AdditionalProperties')
        $json.AllowedRoles[0].Name | Should -Be 'People Administrator'
        $json.AllowedRoles[0].Id | Should -Be $script:Roles.People
        $json.Source | Should -Be 'Cloud'
    }
}
