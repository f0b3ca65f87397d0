# Every output type read the way admins keep results: Export-Csv / ConvertTo-Csv and logs. A value
# must show as its text (role names, changes, differences, scopes), never as a .NET type name such
# as PhotoUpdatePolicy.RoleRef[], System.String[] or System.Collections.Specialized.OrderedDictionary;
# every information record prints as a sentence.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe

    # A .NET type name as CSV or a log would show it, or a PSObject printed as its hashtable
    # form (@{id=…; name=…}).
    $script:TypeName = '(PhotoUpdatePolicy|System|Microsoft)\.[A-Z][\w`]*(\.[A-Z][\w`]*)*(\[\])?|\[\]|@\{'

    # CSV of the objects, through both cmdlets (Export-Csv writes what ConvertTo-Csv returns).
    function ConvertTo-CsvText {
        param([Parameter(Mandatory)] [object[]] $InputObject)
        $file = Join-Path $TestDrive ("out-" + [guid]::NewGuid().ToString('N') + '.csv')
        $InputObject | Export-Csv -LiteralPath $file -NoTypeInformation
        $exported = Get-Content -LiteralPath $file -Raw
        $converted = ($InputObject | ConvertTo-Csv -NoTypeInformation) -join "`n"
        $exported.Trim() -replace "`r`n", "`n" | Should -Be ($converted.Trim())
        $converted
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'CSV and logs' {
    BeforeEach {
        $script:Conn = New-TestConnection -Emulator $script:Emulator
        $script:Tenant = $script:Conn.TenantId
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{
            source = 'cloud'; allowedRoles = @($script:Roles.Global, $script:Roles.User); someNewProperty = 'kept' }
    }

    It 'Get-PhotoUpdatePolicy: role names, source and unknown properties as text' {
        $csv = ConvertTo-CsvText @(Get-PhotoUpdatePolicy @script:Conn)
        $csv | Should -Not -Match $script:TypeName
        $row = $csv | ConvertFrom-Csv
        $row.AllowedRoles | Should -Be 'Global Administrator, User Administrator'
        $row.Source | Should -Be 'Cloud'
        $row.AdditionalProperties | Should -Be 'someNewProperty=kept'
        $row.TenantId | Should -Be $script:Tenant
    }

    It 'Set-PhotoUpdatePolicy -PassThru and Reset-PhotoUpdatePolicy -PassThru: the previous policy and each change as text' {
        $set = Set-PhotoUpdatePolicy @script:Conn -AllowedRoles 'People Administrator' -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $csv = ConvertTo-CsvText @($set)
        $csv | Should -Not -Match $script:TypeName
        $row = $csv | ConvertFrom-Csv
        $row.AllowedRoles | Should -Be 'People Administrator'
        $row.PreviousPolicy | Should -Be 'Source: Cloud; AllowedRoles: Global Administrator, User Administrator'
        $row.Changes | Should -Match '^AllowedRoles: Global Administrator, User Administrator → People Administrator$'

        $changes = ConvertTo-CsvText @($set.Changes)
        $changes | Should -Not -Match $script:TypeName
        ($changes | ConvertFrom-Csv | Where-Object Property -eq 'AllowedRoles').After | Should -Be 'People Administrator'

        $reset = Reset-PhotoUpdatePolicy @script:Conn -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $csv = ConvertTo-CsvText @($reset)
        $csv | Should -Not -Match $script:TypeName
        ($csv | ConvertFrom-Csv).Changes | Should -Match 'People Administrator'
    }

    It 'Get-PhotoUpdatePolicyRole: aliases as text' {
        $csv = ConvertTo-CsvText @(Get-PhotoUpdatePolicyRole)
        $csv | Should -Not -Match $script:TypeName
        ($csv | ConvertFrom-Csv | Where-Object Name -eq 'Global Administrator').Aliases | Should -Match '\w'
    }

    It 'Connect-PhotoUpdatePolicy and Get-PhotoUpdatePolicyConnection: permissions and directory roles as text' {
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -Scope 'PeopleSettings.ReadWrite.All User.Read' -Wids @($script:Roles.People)
        try {
            $connection = Connect-PhotoUpdatePolicy -AccessToken $token -GraphEndpoint $script:Emulator.Url -AllowInsecureLoopback -PassThru
            $csv = ConvertTo-CsvText @($connection, (Get-PhotoUpdatePolicyConnection))
            $csv | Should -Not -Match $script:TypeName
            $row = @($csv | ConvertFrom-Csv)[0]
            $row.Scopes | Should -Be 'PeopleSettings.ReadWrite.All, User.Read'
            $row.DirectoryRoles | Should -Match ([regex]::Escape($script:Roles.People))
        } finally {
            Disconnect-PhotoUpdatePolicy -ErrorAction SilentlyContinue | Out-Null
        }
    }

    It 'Export-, Test- and Import-PhotoUpdatePolicy: the document, each difference and each result as text' {
        $file = Join-Path $TestDrive "$($script:Tenant).json"
        $document = Export-PhotoUpdatePolicy @script:Conn
        $csv = ConvertTo-CsvText @($document)
        $csv | Should -Not -Match $script:TypeName
        ($csv | ConvertFrom-Csv).allowedRoles | Should -Match 'Global Administrator'
        ($csv | ConvertFrom-Csv).allowedRoles | Should -Be 'Global Administrator, User Administrator'
        ($csv | ConvertFrom-Csv).source | Should -Be 'cloud'
        # Each role, and the document itself, print as text too (logs, string expansion).
        "$($document.allowedRoles[0])" | Should -Be 'Global Administrator'
        "$document" | Should -Be 'Source: Cloud; AllowedRoles: Global Administrator, User Administrator'
        $roles = ConvertTo-CsvText @($document.allowedRoles)
        $roles | Should -Not -Match $script:TypeName
        @($roles | ConvertFrom-Csv).name | Should -Be @('Global Administrator', 'User Administrator')
        # With -Path, Export returns the file as Get-Item does (PowerShell's own FileInfo).
        Export-PhotoUpdatePolicy @script:Conn -Path $file | Should -BeOfType System.IO.FileInfo

        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'onPremises' }
        $test = Test-PhotoUpdatePolicy @script:Conn -Path $file
        $csv = ConvertTo-CsvText @($test)
        $csv | Should -Not -Match $script:TypeName
        $row = $csv | ConvertFrom-Csv
        $row.Status | Should -Be 'Drifted'
        $row.Differences | Should -Match 'AllowedRoles: expected Global Administrator, User Administrator'
        $row.Desired | Should -Be 'Source: Cloud; AllowedRoles: Global Administrator, User Administrator'
        $row.Current | Should -Be 'Source: OnPremises; AllowedRoles: (none: everyone can change their photo)'
        $differences = ConvertTo-CsvText @($test.Differences)
        $differences | Should -Not -Match $script:TypeName

        $import = Import-PhotoUpdatePolicy @script:Conn -Path $file -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $csv = ConvertTo-CsvText @($import)
        $csv | Should -Not -Match $script:TypeName
        ($csv | ConvertFrom-Csv).Status | Should -Be 'Changed'

        # A run over a fleet: the result of a tenant that failed carries its error as text.
        $tenants = @(
            [pscustomobject]@{ TenantId = $script:Tenant; AccessToken = $script:Conn.AccessToken }
            [pscustomobject]@{ TenantId = [guid]::NewGuid().ToString(); AccessToken = $script:Conn.AccessToken })
        $fleet = @{ GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }
        $results = @($tenants | Test-PhotoUpdatePolicy @fleet -Path $file -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $csv = ConvertTo-CsvText $results
        $csv | Should -Not -Match $script:TypeName
        $rows = @($csv | ConvertFrom-Csv)
        ($rows | Where-Object TenantId -eq $script:Tenant).Status | Should -Be 'Compliant'
        $failed = $rows | Where-Object TenantId -eq $tenants[1].TenantId
        $failed.Status | Should -Be 'Failed'
        $failed.Error | Should -Match '\w'
        $results = @($tenants | Import-PhotoUpdatePolicy @fleet -Path $file -PassThru -Confirm:$false -ErrorAction SilentlyContinue)
        $csv = ConvertTo-CsvText $results
        $csv | Should -Not -Match $script:TypeName
        @($csv | ConvertFrom-Csv).Status | Sort-Object | Should -Be @('Failed', 'Unchanged')
    }

    It 'Get-PhotoUpdateAccess and Test-PhotoUpdateAccess: roles held, scopes, permissions and warnings as text' {
        $fixture = Get-Content -Raw (Join-Path $script:RepoRoot 'tests/emulator/tests/fixtures/directory-photo-access.json') | ConvertFrom-Json
        Invoke-EmulatorApi -Emulator $script:Emulator -Method Put -Path "/_emulator/tenants/$($script:Tenant)/directory" -Body $fixture | Out-Null
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Tenant -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.People, $script:Roles.Global) }
        # Without GroupMember.Read.All: the answer carries a warning and a missing permission.
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Tenant -Roles @('PeopleSettings.Read.All', 'RoleManagement.Read.Directory',
            'RoleEligibilitySchedule.Read.Directory', 'Application.Read.All', 'User.Read.All')
        $access = @{ TenantId = $script:Tenant; AccessToken = $token; GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }

        $all = @(Get-PhotoUpdateAccess @access -WarningAction SilentlyContinue)
        $all.Count | Should -BeGreaterThan 3
        $csv = ConvertTo-CsvText $all
        $csv | Should -Not -Match $script:TypeName
        $rows = @($csv | ConvertFrom-Csv)
        ($rows | Where-Object DisplayName -eq 'Pat People').Via | Should -Be 'People Administrator (Active, direct, tenant)'
        ($rows | Where-Object DisplayName -eq 'Pat People').Holdings | Should -Be 'People Administrator'
        ($rows | Where-Object DisplayName -eq 'HR Photo Sync').AppPermissions | Should -Be 'ProfilePhoto.ReadWrite.All'
        ($rows | Where-Object DisplayName -eq 'Uma Scoped').ScopeIds | Should -Match '\w'
        $holdings = ConvertTo-CsvText @($all | ForEach-Object Holdings)
        $holdings | Should -Not -Match $script:TypeName

        $answer = Test-PhotoUpdateAccess @access -UserId uma@contoso.example -WarningAction SilentlyContinue
        $csv = ConvertTo-CsvText @($answer)
        $csv | Should -Not -Match $script:TypeName
        $row = $csv | ConvertFrom-Csv
        $row.AllowedRoles | Should -Be 'People Administrator, Global Administrator'
        $row.Principal | Should -Be 'Uma Scoped'
        $row.Scope | Should -Be 'AdministrativeUnit'
        $row.MissingPermissions | Should -Be $answer.MissingPermissions.ToString()
        $row.Warnings | Should -Be $answer.Warnings.ToString()
    }

    It 'prints every information record as a sentence, fleet summaries included' {
        $other = New-TestConnection -Emulator $script:Emulator
        $file = Join-Path $TestDrive 'fleet.json'
        Export-PhotoUpdatePolicy @script:Conn -Path $file | Out-Null
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $other.TenantId -Roles 'PeopleSettings.ReadWrite.All'
        $tenants = @(
            [pscustomobject]@{ TenantId = $script:Tenant; AccessToken = $script:Conn.AccessToken }
            [pscustomobject]@{ TenantId = $other.TenantId; AccessToken = $token })
        $fleet = @{ GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }
        $records = @()
        $null = Get-PhotoUpdatePolicy @script:Conn -InformationVariable +records
        $null = Set-PhotoUpdatePolicy @script:Conn -Source Cloud -Confirm:$false -InformationVariable +records -WarningAction SilentlyContinue
        $null = $tenants | Test-PhotoUpdatePolicy @fleet -Path $file -InformationVariable +records
        $null = $tenants | Import-PhotoUpdatePolicy @fleet -Path $file -Confirm:$false -InformationVariable +records -WarningAction SilentlyContinue
        $null = Reset-PhotoUpdatePolicy @script:Conn -Confirm:$false -InformationVariable +records -WarningAction SilentlyContinue
        $records.Count | Should -BeGreaterThan 2
        foreach ($record in $records) {
            $text = "$record"
            $text | Should -Not -Match $script:TypeName
            $text | Should -Match '^\S.*\w.*[.:)]$' -Because "an information record reads as a sentence: '$text'"
            "$($record.MessageData)" | Should -Be $text
        }
        # The fleet summaries name what they counted.
        @($records | Where-Object { "$_" -match '^(Test|Import) of 2 tenants in [\d.]+ s: ' }).Count | Should -BeGreaterOrEqual 2
    }
}
