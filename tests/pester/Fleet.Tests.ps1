# Many tenants in one call: -TenantId a,b,c sharing credentials is covered by the connection
# engineer's sign-in modes; here each tenant comes from the pipeline with its own AccessToken.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Endpoint = @{ GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }

    function New-Fleet([int] $Count, [int[]] $ReadOnly = @(), [int[]] $Matching = @()) {
        for ($i = 0; $i -lt $Count; $i++) {
            $tenant = [guid]::NewGuid().ToString()
            $roles = if ($ReadOnly -contains $i) { @('PeopleSettings.Read.All') } else { @('PeopleSettings.ReadWrite.All') }
            $policy = if ($Matching -contains $i) { @{ source = 'cloud'; allowedRoles = @($script:Roles.People) } } else { @{ source = 'onPremises'; allowedRoles = @() } }
            Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $tenant -Policy $policy
            [pscustomobject]@{
                TenantId    = $tenant
                AccessToken = New-EmulatorToken -Emulator $script:Emulator -TenantId $tenant -Roles $roles
                Index       = $i
            }
        }
    }

    $script:Desired = @{ schemaVersion = 1; source = 'cloud'; allowedRoles = @('People Administrator') }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Fleet runs' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It 'tests 20 tenants from the pipeline: one result each, compliant and drifted told apart' {
        $fleet = @(New-Fleet 20 -Matching 0, 5, 10)
        $results = @($fleet | Test-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 4 -InformationVariable info)
        $results.Count | Should -Be 20
        foreach ($r in $results) {
            $expected = (($fleet | Where-Object TenantId -eq $r.TenantId).Index) -in 0, 5, 10
            $r.Compliant | Should -Be $expected
        }
        ($info | Where-Object { $_.Tags -contains 'Summary' }).MessageData.compliant | Should -Be 3
        ($fleet | Test-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -Quiet) | Should -BeFalse
    }

    It 'imports into 30 tenants, some throttled and some refused: each reported, the rest converge' {
        $fleet = @(New-Fleet 30 -ReadOnly 3, 13, 23 -Matching 0)
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method GET -Count 5 -RetryAfterSeconds 1
        $folder = Join-Path ([System.IO.Path]::GetTempPath()) ("pup-fleet-" + [guid]::NewGuid())
        try {
            $results = @($fleet | Import-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 8 -BackupPath $folder -PassThru -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
            $results.Count | Should -Be 30
            $failed = @($results | Where-Object Status -eq 'Failed')
            $failed.Count | Should -Be 3
            $errs.Count | Should -Be 3
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden*'
            @($failed.TenantId | Sort-Object) | Should -Be @($fleet | Where-Object Index -in 3, 13, 23 | ForEach-Object TenantId | Sort-Object)
            @($results | Where-Object Status -eq 'Unchanged').Count | Should -Be 1
            @($results | Where-Object Status -eq 'Changed').Count | Should -Be 26
            foreach ($t in $fleet | Where-Object Index -notin 3, 13, 23) {
                $stored = Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId
                $stored.source | Should -Be 'cloud'
                @($stored.allowedRoles) | Should -Be @($script:Roles.People)
            }
            # A backup precedes every write: the 26 changed. The 3 read-only tenants are refused by the
            # permission pre-flight before anything is sent, so they need none.
            @(Get-ChildItem -LiteralPath $folder -Filter 'photoUpdatePolicy-*.json').Count | Should -Be 26
            @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object status -eq 429).Count | Should -Be 5
        } finally {
            Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It '-WhatIf over a fleet reads each tenant and writes nothing' {
        $fleet = @(New-Fleet 5)
        Clear-EmulatorRequest -Emulator $script:Emulator
        $fleet | Import-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -WhatIf
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0
        # Each policy is read once; the other reads are the directory's, for each tenant's impact.
        @(Get-PolicyRequest -Emulator $script:Emulator | Where-Object method -eq 'GET').Count | Should -Be 5
    }
}
