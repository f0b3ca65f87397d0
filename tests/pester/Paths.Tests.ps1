# Pipelines and paths for Export-, Test- and Import-PhotoUpdatePolicy, the way PowerShell's own
# file cmdlets behave: files and documents piped in, -Path wildcards, -LiteralPath, paths relative
# to the PowerShell location, ~, PSDrives, paths of other providers refused by name (also
# -BackupPath), Export -WhatIf, and a Policy from Get-PhotoUpdatePolicy as the desired state.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe

    # Requests other than reads (nothing may be written).
    function Get-PolicyWrite { @(Get-PolicyRequest -Emulator $script:Emulator | Where-Object method -ne 'GET') }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Pipelines and paths' {
    BeforeEach {
        $script:Conn = New-TestConnection -Emulator $script:Emulator
        $script:Tenant = $script:Conn.TenantId
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.Global, $script:Roles.User) }
        $script:Dir = Join-Path ([System.IO.Path]::GetTempPath()) ("pup-paths-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $script:Dir | Out-Null
        Push-Location -LiteralPath $script:Dir
    }

    AfterEach {
        Pop-Location
        Remove-Item -LiteralPath $script:Dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'Export -Path returns the file it wrote, which pipes into Test and Import' {
        $file = Export-PhotoUpdatePolicy @script:Conn -Path 'baseline.json'
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be (Join-Path $script:Dir 'baseline.json')
        $file.PSPath | Should -Match 'FileSystem::'

        (Export-PhotoUpdatePolicy @script:Conn -Path 'again.json' | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'

        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'onPremises'; allowedRoles = @() }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $result = Get-Item -LiteralPath $file.FullName | Import-PhotoUpdatePolicy @script:Conn -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $result.Status | Should -Be 'Changed'
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant).source | Should -Be 'cloud'
    }

    It 'Get-Item | Test and Get-ChildItem | Import -WhatIf: one run per file, nothing written' {
        Export-PhotoUpdatePolicy @script:Conn -Path 'a.json' | Out-Null
        Set-Content -LiteralPath 'b.json' -Value '{"schemaVersion":1,"source":"onPremises","allowedRoles":[]}'
        (Get-Item 'a.json' | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'

        $results = @(Get-ChildItem -Filter '*.json' | Sort-Object Name | Test-PhotoUpdatePolicy @script:Conn)
        @($results.Status) | Should -Be @('Compliant', 'Drifted')
        @(Get-ChildItem -Filter '*.json' | Sort-Object Name | Test-PhotoUpdatePolicy @script:Conn -Quiet) | Should -Be @($true, $false)

        Clear-EmulatorRequest -Emulator $script:Emulator
        Get-ChildItem -Filter '*.json' | Import-PhotoUpdatePolicy @script:Conn -WhatIf
        @(Get-PolicyRequest -Emulator $script:Emulator) | Should -HaveCount 2
        Get-PolicyWrite | Should -HaveCount 0
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant).source | Should -Be 'cloud'
    }

    It 'a piped folder or bad document is that record''s error; the other files still run' {
        Export-PhotoUpdatePolicy @script:Conn -Path 'b-good.json' | Out-Null
        Set-Content -LiteralPath 'a-bad.json' -Value '{"schemaVersion":1,"allowedRoles":["Peple Administrator"]}'
        New-Item -ItemType Directory -Path 'c-folder' | Out-Null
        Clear-EmulatorRequest -Emulator $script:Emulator
        $results = @(Get-ChildItem | Sort-Object Name | Test-PhotoUpdatePolicy @script:Conn -ErrorVariable errs -ErrorAction SilentlyContinue)
        @($results.Status) | Should -Be @('Compliant')
        @($errs.FullyQualifiedErrorId) | Should -Be @('PhotoUpdatePolicy.InvalidDocument,PhotoUpdatePolicy.Commands.TestPhotoUpdatePolicyCommand',
            'PhotoUpdatePolicy.PathIsFolder,PhotoUpdatePolicy.Commands.TestPhotoUpdatePolicyCommand')
        $errs[0].Exception.Message | Should -Match 'Peple Administrator'
        $errs[1].Exception.Message | Should -Match 'c-folder'
        # Only the good document's tenant was read.
        @(Get-PolicyRequest -Emulator $script:Emulator) | Should -HaveCount 1

        # -ErrorAction Stop stops at the first bad record, before the good one is read.
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Get-ChildItem | Sort-Object Name | Import-PhotoUpdatePolicy @script:Conn -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidDocument,*'
        @(Get-PolicyRequest -Emulator $script:Emulator) | Should -HaveCount 0
    }

    It '-Path expands wildcards; a pattern that matches nothing is an error naming it; -LiteralPath takes [ ] as they are' {
        Export-PhotoUpdatePolicy @script:Conn -Path 'one.json' | Out-Null
        Copy-Item -LiteralPath 'one.json' -Destination 'two.json'
        @(Test-PhotoUpdatePolicy @script:Conn -Path '*.json').Count | Should -Be 2

        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Test-PhotoUpdatePolicy @script:Conn -Path 'missing*.json' }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.PathNotFound,*'
        $err.Exception.Message | Should -Match ([regex]::Escape("'missing*.json'"))
        $err = Get-ErrorRecord { Import-PhotoUpdatePolicy @script:Conn -Path 'missing*.json' -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.PathNotFound,*'
        @(Get-PolicyRequest -Emulator $script:Emulator) | Should -HaveCount 0

        # A name holding [ ]: -Path reads it as a pattern, -LiteralPath (and a piped file) as it is.
        $odd = Export-PhotoUpdatePolicy @script:Conn -LiteralPath 'policy[1].json'
        $odd.Name | Should -Be 'policy[1].json'
        (Test-PhotoUpdatePolicy @script:Conn -LiteralPath 'policy[1].json').Status | Should -Be 'Compliant'
        (Test-PhotoUpdatePolicy @script:Conn -LP 'policy[1].json').Status | Should -Be 'Compliant'
        (Get-Item -LiteralPath 'policy[1].json' | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'
        (Get-ErrorRecord { Test-PhotoUpdatePolicy @script:Conn -Path 'policy[1].json' }).FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.PathNotFound,*'

        # A folder is not a document.
        $err = Get-ErrorRecord { Test-PhotoUpdatePolicy @script:Conn -Path $script:Dir }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.PathIsFolder,*'
    }

    It 'resolves relative paths against the PowerShell location, ~ and PSDrives' {
        # The process's working directory is elsewhere: a relative path is the PowerShell location's.
        [System.IO.Directory]::GetCurrentDirectory() | Should -Not -Be $script:Dir
        $sub = New-Item -ItemType Directory -Path (Join-Path $script:Dir 'sub')
        Set-Location -LiteralPath $sub.FullName
        Export-PhotoUpdatePolicy @script:Conn -Path 'rel.json' | Out-Null
        Test-Path -LiteralPath (Join-Path $sub.FullName 'rel.json') | Should -BeTrue
        (Test-PhotoUpdatePolicy @script:Conn -Path '../sub/rel.json').Status | Should -Be 'Compliant'
        Set-Location -LiteralPath $script:Dir

        $drive = 'PupPaths' + (Get-Random -Maximum 100000)
        New-PSDrive -Name $drive -PSProvider FileSystem -Root $script:Dir | Out-Null
        try {
            (Export-PhotoUpdatePolicy @script:Conn -Path "${drive}:/on-drive.json").FullName | Should -Be (Join-Path $script:Dir 'on-drive.json')
            (Test-PhotoUpdatePolicy @script:Conn -Path "${drive}:/on-drive.json").Status | Should -Be 'Compliant'
            (Import-PhotoUpdatePolicy @script:Conn -LiteralPath "${drive}:/on-drive.json" -PassThru -Confirm:$false).Status | Should -Be 'Unchanged'
            Set-PhotoUpdatePolicy @script:Conn -AllowedRoles 'People Administrator' -BackupPath "${drive}:/backups/" -Confirm:$false -WarningAction SilentlyContinue
            @(Get-ChildItem -LiteralPath (Join-Path $script:Dir 'backups')).Count | Should -Be 1
            Reset-PhotoUpdatePolicy @script:Conn -BackupPath "${drive}:/before-reset.json" -Confirm:$false -WarningAction SilentlyContinue
            Test-Path -LiteralPath (Join-Path $script:Dir 'before-reset.json') | Should -BeTrue
            $restore = Import-PhotoUpdatePolicy @script:Conn -Path "${drive}:/before-reset.json" -BackupPath 'relative-backups/' -PassThru -Confirm:$false -WarningAction SilentlyContinue
            $restore.Status | Should -Be 'Changed'
            $restore.BackupPath | Should -BeLike (Join-Path $script:Dir 'relative-backups/photoUpdatePolicy-*')
        } finally {
            Remove-PSDrive -Name $drive
        }

        $name = 'pup-paths-' + [guid]::NewGuid().ToString('N') + '.json'
        try {
            (Export-PhotoUpdatePolicy @script:Conn -Path "~/$name").FullName | Should -Be (Join-Path $HOME $name)
            (Test-PhotoUpdatePolicy @script:Conn -Path "~/$name").Status | Should -Be 'Compliant'
        } finally {
            Remove-Item -LiteralPath (Join-Path $HOME $name) -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a path of another provider, naming it, before anything is sent' {
        Export-PhotoUpdatePolicy @script:Conn -Path 'doc.json' | Out-Null
        Clear-EmulatorRequest -Emulator $script:Emulator
        $cases = @(
            { Test-PhotoUpdatePolicy @script:Conn -Path 'Env:/PATH' }
            { Import-PhotoUpdatePolicy @script:Conn -LiteralPath 'Variable:/PSHOME' -Confirm:$false }
            { Export-PhotoUpdatePolicy @script:Conn -Path 'Env:/pup-export' }
            { Set-PhotoUpdatePolicy @script:Conn -Source OnPremises -AllowedRoles @() -BackupPath 'Env:/pup-backup' -Confirm:$false }
            { Reset-PhotoUpdatePolicy @script:Conn -BackupPath 'Function:/pup-backup' -Confirm:$false }
            { Import-PhotoUpdatePolicy @script:Conn -Path 'doc.json' -BackupPath 'Alias:/pup-backup' -Confirm:$false }
        )
        foreach ($case in $cases) {
            $err = Get-ErrorRecord $case
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NotAFileSystemPath,*' -Because "$case"
            $err.Exception.Message | Should -Match "'(Env|Variable|Function|Alias):/[\w-]+'" -Because "$case"
            $err.Exception.Message | Should -Match 'not the file system'
        }
        Get-PolicyWrite | Should -HaveCount 0
        Test-Path 'Env:/pup-export' | Should -BeFalse

        # A drive that does not exist is named too.
        $err = Get-ErrorRecord { Test-PhotoUpdatePolicy @script:Conn -LiteralPath 'NoSuchDrive:/doc.json' }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.PathNotUsable,*'
        $err.Exception.Message | Should -Match 'NoSuchDrive'
    }

    It 'Export -WhatIf and -Confirm: nothing is written, not even read, unless confirmed' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        Export-PhotoUpdatePolicy @script:Conn -Path 'whatif.json' -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath 'whatif.json' | Should -BeFalse
        @(Get-PolicyRequest -Emulator $script:Emulator) | Should -HaveCount 0
        $WhatIfPreference = $true
        try { Export-PhotoUpdatePolicy @script:Conn -LiteralPath 'whatif.json' | Should -BeNullOrEmpty } finally { $WhatIfPreference = $false }
        Test-Path -LiteralPath 'whatif.json' | Should -BeFalse

        Export-PhotoUpdatePolicy @script:Conn -Path 'whatif.json' -Confirm:$false | Out-Null
        Test-Path -LiteralPath 'whatif.json' | Should -BeTrue
        $command = Get-Command Export-PhotoUpdatePolicy
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'

        # -Force is still needed to replace a file, also after confirming.
        $err = Get-ErrorRecord { Export-PhotoUpdatePolicy @script:Conn -Path 'whatif.json' -Confirm:$false }
        $err.Exception.Message | Should -Match 'whatif.json'
        (Export-PhotoUpdatePolicy @script:Conn -Path 'whatif.json' -Force -Confirm:$false).Name | Should -Be 'whatif.json'

        # Without a path the document goes to the pipeline: -WhatIf does not hold it back.
        (Export-PhotoUpdatePolicy @script:Conn -WhatIf).schemaVersion | Should -Be 1
    }

    It 'Export without -Path pipes its document into Test and Import' {
        (Export-PhotoUpdatePolicy @script:Conn | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'
        $document = Export-PhotoUpdatePolicy @script:Conn
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.People) }
        ($document | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Drifted'
        ($document | Import-PhotoUpdatePolicy @script:Conn -PassThru -Confirm:$false -WarningAction SilentlyContinue).Status | Should -Be 'Changed'
        @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant).allowedRoles) | Should -Be @($script:Roles.Global, $script:Roles.User)

        # The document's own tenantId binds -TenantId when none is given: it goes back where it came from.
        $token = @{ AccessToken = $script:Conn.AccessToken; GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }
        ($document | Test-PhotoUpdatePolicy @token).TenantId | Should -Be $script:Tenant
    }

    It 'a Policy from Get-PhotoUpdatePolicy is a valid -InputObject for Test and Import, also deserialised' {
        $policy = Get-PhotoUpdatePolicy @script:Conn
        (Test-PhotoUpdatePolicy @script:Conn -InputObject $policy).Status | Should -Be 'Compliant'
        ($policy | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'

        $other = New-TestConnection -Emulator $script:Emulator
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $other.TenantId -Policy @{ source = 'onPremises' }
        $drift = Test-PhotoUpdatePolicy @other -InputObject $policy
        $drift.Status | Should -Be 'Drifted'
        @($drift.Differences.Property) | Should -Be @('Source', 'AllowedRoles')
        (Import-PhotoUpdatePolicy @other -InputObject $policy -PassThru -Confirm:$false -WarningAction SilentlyContinue).Status | Should -Be 'Changed'
        $stored = Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $other.TenantId
        $stored.source | Should -Be 'cloud'
        @($stored.allowedRoles) | Should -Be @($script:Roles.Global, $script:Roles.User)

        # The same object after Export-Clixml / Import-Clixml (a runbook's saved state, remoting).
        $xml = Join-Path $script:Dir 'policy.xml'
        $policy | Export-Clixml -LiteralPath $xml
        $saved = Import-Clixml -LiteralPath $xml
        $saved.PSObject.TypeNames[0] | Should -Be 'Deserialized.PhotoUpdatePolicy.Policy'
        (Test-PhotoUpdatePolicy @script:Conn -InputObject $saved).Status | Should -Be 'Compliant'
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @() }
        (Test-PhotoUpdatePolicy @script:Conn -InputObject $saved).Status | Should -Be 'Drifted'

        # A default policy (NotSet, no restriction) stands for itself.
        Reset-PhotoUpdatePolicy @script:Conn -Confirm:$false -WarningAction SilentlyContinue
        $default = Get-PhotoUpdatePolicy @script:Conn
        $default.Source | Should -Be 'NotSet'
        (Test-PhotoUpdatePolicy @script:Conn -InputObject $default).Status | Should -Be 'Compliant'
        (Test-PhotoUpdatePolicy @other -InputObject $default).Status | Should -Be 'Drifted'

        # Roles as names or IDs, in a Policy-shaped object.
        $shaped = [pscustomobject]@{ PSTypeName = 'PhotoUpdatePolicy.Policy'; Source = 'Cloud'; AllowedRoles = @('Global Administrator', $script:Roles.User) }
        (Test-PhotoUpdatePolicy @other -InputObject $shaped).Status | Should -Be 'Compliant'
    }

    It 'only the cmdlets that read a document have -AllowRefusedRole' {
        (Get-Command Get-PhotoUpdateAccess).Parameters.Keys | Should -Not -Contain 'AllowRefusedRole'
        foreach ($name in 'Set-PhotoUpdatePolicy', 'Test-PhotoUpdatePolicy', 'Import-PhotoUpdatePolicy') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'AllowRefusedRole'
        }
        $err = Get-ErrorRecord { Get-PhotoUpdateAccess @script:Conn -AllowRefusedRole }
        $err.FullyQualifiedErrorId | Should -BeLike 'NamedParameterNotFound,*'
    }

    It 'tenants piped without a document: a clear error, nothing sent, and the token nowhere in it' {
        $plain = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -Roles 'PeopleSettings.ReadWrite.All' -AsPlainText
        $endpoint = @{ GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }
        Clear-EmulatorRequest -Emulator $script:Emulator
        foreach ($tenant in @([pscustomobject]@{ TenantId = $script:Tenant; AccessToken = $plain }, @{ TenantId = $script:Tenant; AccessToken = $plain })) {
            $err = Get-ErrorRecord { $tenant | Import-PhotoUpdatePolicy @endpoint -Confirm:$false }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.NoDesiredState,*'
            $err.Exception.Message | Should -Match 'AccessToken.*-Path, -LiteralPath or -InputObject'
            $shown = ($err | Format-List * -Force | Out-String) + ($err.InvocationInfo | Format-List * -Force | Out-String) +
                ($err.InvocationInfo.BoundParameters.Values | Out-String) + ($err | ConvertTo-Json -Depth 4 -WarningAction SilentlyContinue)
            $shown | Should -Not -Match ([regex]::Escape($plain))
            $err.TargetObject | Should -BeNullOrEmpty
        }
        @(Get-PolicyRequest -Emulator $script:Emulator) | Should -HaveCount 0
    }

    It 'binds files by PSPath and FullName to -LiteralPath, and documents to -InputObject' {
        $test = Get-Command Test-PhotoUpdatePolicy
        $test.Parameters['LiteralPath'].Aliases | Should -Contain 'PSPath'
        $test.Parameters['LiteralPath'].Aliases | Should -Contain 'FullName'
        $test.Parameters['LiteralPath'].Aliases | Should -Contain 'LP'
        $test.Parameters['Path'].ParameterSets.Values.ValueFromPipelineByPropertyName | Should -Contain $true
        $test.Parameters['InputObject'].ParameterSets.Values.ValueFromPipeline | Should -Contain $true

        Export-PhotoUpdatePolicy @script:Conn -Path 'x.json' | Out-Null
        # An object with only FullName (Select-Object FullName) is a file too.
        (Get-Item 'x.json' | Select-Object FullName | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'
        # Resolve-Path output binds -Path by its Path property.
        (Resolve-Path 'x.json' | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'
        # JSON text and a hashtable from the pipeline are documents.
        ("$(Get-Content -Raw 'x.json')" | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'
        (@{ schemaVersion = 1; source = 'cloud' } | Test-PhotoUpdatePolicy @script:Conn).Status | Should -Be 'Compliant'
    }
}
