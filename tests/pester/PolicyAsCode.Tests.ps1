# Export / Test / Import and backups through the cmdlets, against the Graph emulator: the policy
# kept as code, drift reported, restored by import, and nothing lost on a write.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Policy as code' {
    BeforeEach {
        $script:Conn = New-TestConnection -Emulator $script:Emulator
        $script:Tenant = $script:Conn.TenantId
        $script:Dir = Join-Path ([System.IO.Path]::GetTempPath()) ("pup-pac-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $script:Dir | Out-Null
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'exports, reports drift, imports to restore, and then complies' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.Global, $script:Roles.People) }
        $file = Join-Path $script:Dir 'contoso.json'
        $info = Export-PhotoUpdatePolicy @script:Conn -Path $file
        $info.FullName | Should -Be $file
        $doc = Get-Content -LiteralPath $file -Raw | ConvertFrom-Json
        $doc.schemaVersion | Should -Be 1
        $doc.tenantId | Should -Be $script:Tenant
        $doc.source | Should -Be 'cloud'
        @($doc.allowedRoles.name) | Should -Be @('Global Administrator', 'People Administrator')

        # An existing file needs -Force.
        $err = Get-ErrorRecord { Export-PhotoUpdatePolicy @script:Conn -Path $file }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.*'
        $err.Exception.Message | Should -Match 'contoso.json'
        { Export-PhotoUpdatePolicy @script:Conn -Path $file -Force } | Should -Not -Throw

        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'onPremises'; allowedRoles = @() }
        $result = Test-PhotoUpdatePolicy @script:Conn -Path $file
        $result.Compliant | Should -BeFalse
        $result.TenantId | Should -Be $script:Tenant
        @($result.Differences.Property) | Should -Be @('Source', 'AllowedRoles')
        ($result.Differences | Where-Object Property -eq 'Source').Expected | Should -Be 'Cloud'
        ($result.Differences | Where-Object Property -eq 'Source').Actual | Should -Be 'OnPremises'
        $result.Current.Source | Should -Be 'OnPremises'
        $result.CheckedAt.Kind | Should -Be 'Utc'
        Test-PhotoUpdatePolicy @script:Conn -Path $file -Quiet | Should -BeFalse

        # -WhatIf shows the change and sends nothing but reads.
        Clear-EmulatorRequest -Emulator $script:Emulator
        Import-PhotoUpdatePolicy @script:Conn -Path $file -WhatIf
        @(Get-PolicyRequest -Emulator $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0

        $imported = Import-PhotoUpdatePolicy @script:Conn -Path $file -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        $imported.Status | Should -Be 'Changed'
        $imported.Applied | Should -BeTrue
        $imported.PreviousPolicy.Source | Should -Be 'OnPremises'
        ($warnings -join ' ') | Should -Match '24 hours'
        $stored = Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant
        $stored.source | Should -Be 'cloud'

        # Idempotent: no change, no write.
        Clear-EmulatorRequest -Emulator $script:Emulator
        (Import-PhotoUpdatePolicy @script:Conn -Path $file -PassThru).Status | Should -Be 'Unchanged'
        @(Get-PolicyRequest -Emulator $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0

        Test-PhotoUpdatePolicy @script:Conn -Path $file -Quiet | Should -BeTrue
    }

    It 'exports to the pipeline and accepts that object, a hashtable or parameters as the desired state' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.User) }
        $doc = Export-PhotoUpdatePolicy @script:Conn
        $doc.schemaVersion | Should -Be 1
        $doc.allowedRoles[0].name | Should -Be 'User Administrator'
        (Test-PhotoUpdatePolicy @script:Conn -InputObject $doc).Compliant | Should -BeTrue
        (Test-PhotoUpdatePolicy @script:Conn -InputObject ($doc | ConvertTo-Json -Depth 5 | ConvertFrom-Json)).Compliant | Should -BeTrue
        # Order-insensitive roles; the source in any casing.
        (Test-PhotoUpdatePolicy @script:Conn -Source Cloud -AllowedRoles 'User Administrator').Compliant | Should -BeTrue
        (Test-PhotoUpdatePolicy @script:Conn -AllowedRoles 'Global Administrator').Compliant | Should -BeFalse
        Import-PhotoUpdatePolicy @script:Conn -InputObject @{ schemaVersion = 1; allowedRoles = @('People Administrator', 'Global Administrator') } -Confirm:$false
        $stored = Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant
        @($stored.allowedRoles) | Sort-Object | Should -Be (@($script:Roles.People, $script:Roles.Global) | Sort-Object)
    }

    It 'refuses a bad document before anything is sent, naming the field and value' {
        $file = Join-Path $script:Dir 'bad.json'
        Set-Content -LiteralPath $file -Value '{"schemaVersion":1,"source":"cloud","allowedRoles":["Global Admin", "Peple Administrator"]}'
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Import-PhotoUpdatePolicy @script:Conn -Path $file -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidDocument,*'
        $err.Exception.Message | Should -Match 'allowedRoles\[1\]'
        $err.Exception.Message | Should -Match 'Peple Administrator'
        Set-Content -LiteralPath $file -Value '{"schemaVersion":7,"source":"cloud"}'
        (Get-ErrorRecord { Test-PhotoUpdatePolicy @script:Conn -Path $file }).Exception.Message | Should -Match 'schemaVersion 7'
        Set-Content -LiteralPath $file -Value '{"schemaVersion":1,"source":'
        (Get-ErrorRecord { Test-PhotoUpdatePolicy @script:Conn -Path $file }).FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidDocument,*'
        @(Get-PolicyRequest -Emulator $script:Emulator).Count | Should -Be 0
    }

    It 'Set, Reset and Import write a backup first; the backup restores the tenant' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.Global) }
        $backups = Join-Path $script:Dir 'backups'
        New-Item -ItemType Directory -Path $backups | Out-Null
        Set-PhotoUpdatePolicy @script:Conn -Source OnPremises -AllowedRoles @() -BackupPath $backups -Confirm:$false -WarningAction SilentlyContinue
        $first = @(Get-ChildItem -LiteralPath $backups)
        $first.Count | Should -Be 1
        $first[0].Name | Should -Match "^photoUpdatePolicy-$($script:Tenant)-\d{8}T\d{6}Z\.json$"
        (Get-Content -LiteralPath $first[0].FullName -Raw | ConvertFrom-Json).source | Should -Be 'cloud'

        $resetFile = Join-Path $script:Dir 'before-reset.json'
        Reset-PhotoUpdatePolicy @script:Conn -BackupPath $resetFile -Confirm:$false -WarningAction SilentlyContinue
        (Get-Content -LiteralPath $resetFile -Raw | ConvertFrom-Json).source | Should -Be 'onPremises'
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant).source | Should -BeNullOrEmpty

        $restore = Import-PhotoUpdatePolicy @script:Conn -Path $first[0].FullName -BackupPath $backups -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $restore.Status | Should -Be 'Changed'
        $restore.BackupPath | Should -BeLike (Join-Path $backups 'photoUpdatePolicy-*')
        $stored = Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant
        $stored.source | Should -Be 'cloud'
        @($stored.allowedRoles) | Should -Be @($script:Roles.Global)
    }

    It 'an unwritable backup path stops the change: nothing but reads reaches the service' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @() }
        $blocker = Join-Path $script:Dir 'not-a-folder'
        Set-Content -LiteralPath $blocker -Value 'x'
        $bad = Join-Path $blocker 'backup.json'
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @script:Conn -Source OnPremises -BackupPath $bad -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.*'
        $err.Exception.Message | Should -Match 'not-a-folder'
        $err = Get-ErrorRecord { Reset-PhotoUpdatePolicy @script:Conn -BackupPath $bad -Confirm:$false }
        $err.Exception.Message | Should -Match 'not-a-folder'
        $result = Import-PhotoUpdatePolicy @script:Conn -InputObject @{ schemaVersion = 1; source = 'onPremises' } -BackupPath $bad -PassThru -Confirm:$false -ErrorVariable importErrors -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $importErrors.Count | Should -BeGreaterThan 0
        @(Get-PolicyRequest -Emulator $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant).source | Should -Be 'cloud'
    }
}
