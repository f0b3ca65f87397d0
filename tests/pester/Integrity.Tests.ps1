# Nothing lost, nothing mislabelled: hostile input objects never end the host, backups never
# overwrite each other, input that serde would read silently wrong is refused. Against the
# assembled module and the Graph emulator.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Hostile -InputObject' {
    It 'a cycle, a self-containing list or deep nesting is a PhotoUpdatePolicy ErrorRecord, and the host lives on' {
        # A fresh pwsh per run: a stack overflow ends the process (exit 134), which must show as a
        # failure here rather than kill the test host.
        $script = @'
param($Manifest)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
function Nest([int] $levels, [switch] $List) {
    $root = if ($List) { , [System.Collections.ArrayList]::new() } else { @{} }
    $current = $root
    for ($i = 0; $i -lt $levels; $i++) {
        $next = if ($List) { , [System.Collections.ArrayList]::new() } else { @{} }
        if ($List) { [void] $current.Add($next) } else { $current['x'] = $next }
        $current = $next
    }
    @{ schemaVersion = 1; source = 'cloud'; extra = $root }
}
$cases = [ordered]@{
    'cyclic hashtable'          = { $h = @{ schemaVersion = 1; source = 'cloud' }; $h['self'] = $h; $h }
    'cyclic object'             = { $o = [pscustomobject]@{ schemaVersion = 1; source = 'cloud' }; $o | Add-Member -NotePropertyName self -NotePropertyValue $o; $o }
    'self-containing ArrayList' = { $l = [System.Collections.ArrayList]::new(); [void] $l.Add($l); @{ schemaVersion = 1; allowedRoles = $l } }
    'shared, 2^25 paths'        = { $n = @{ v = 1 }; for ($i = 0; $i -lt 25; $i++) { $n = @{ a = $n; b = $n } }; @{ schemaVersion = 1; extra = $n } }
    'hashtables 1,000 deep'     = { Nest 1000 }
    'lists 10,000 deep'         = { Nest 10000 -List }
    'hashtables 100,000 deep'   = { Nest 100000 }
}
$auth = @{ AccessToken = 'not-used'; GraphEndpoint = 'http://127.0.0.1:9'; AllowInsecureLoopback = $true; TenantId = '00000000-0000-0000-0000-000000000001' }
foreach ($name in $cases.Keys) {
    $value = & $cases[$name]
    foreach ($command in 'Import-PhotoUpdatePolicy', 'Test-PhotoUpdatePolicy') {
        $extra = if ($command -like 'Import*') { @{ Confirm = $false } } else { @{} }
        $id = try { & $command -InputObject $value @auth @extra | Out-Null; 'no error' } catch { $_.FullyQualifiedErrorId + ' / ' + $_.Exception.GetType().Name + ' / ' + $_.Exception.Message.Length }
        "$name | $command | $id"
    }
}
'host alive'
'@
        $file = Join-Path ([System.IO.Path]::GetTempPath()) ("pup-hostile-" + [guid]::NewGuid() + '.ps1')
        Set-Content -LiteralPath $file -Value $script
        try {
            $pwsh = @(Get-PwshCommand)
            $exe = $pwsh[0]
            $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file, '-Manifest', $script:Manifest)
            $output = & $exe @arguments 2>&1 | ForEach-Object { "$_" }
            $exit = $LASTEXITCODE
        } finally {
            Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue
        }
        $text = $output -join "`n"
        $exit | Should -Be 0 -Because "the child PowerShell must not die:`n$text"
        $output[-1] | Should -Be 'host alive' -Because $text
        $lines = @($output | Where-Object { $_ -like '* | *' })
        $lines.Count | Should -Be 14 -Because $text
        foreach ($line in $lines) {
            $line | Should -Match '\| PhotoUpdatePolicy\.InputObject(Cycle|TooDeep|TooLarge),' -Because $text
            $line | Should -Match 'ArgumentException'
        }
        ($lines | Where-Object { $_ -like 'cyclic*' -or $_ -like 'self-*' }) | Should -Match 'InputObjectCycle'
        ($lines | Where-Object { $_ -like '*deep |*' }) | Should -Match 'InputObjectTooDeep'
        ($lines | Where-Object { $_ -like 'shared*' }) | Should -Match 'InputObjectTooLarge'
    }

    It 'a document nested 20 levels below an extra property still reads (the limit is not in the way)' {
        $conn = New-TestConnection -Emulator $script:Emulator
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $conn.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
        $deep = @{ v = 1 }
        for ($i = 0; $i -lt 20; $i++) { $deep = @{ x = $deep } }
        $err = Get-ErrorRecord { Test-PhotoUpdatePolicy @conn -InputObject @{ schemaVersion = 1; source = 'cloud'; additionalProperties = @{ deep = $deep } } }
        if ($err) { $err.FullyQualifiedErrorId | Should -Not -BeLike 'PhotoUpdatePolicy.InputObject*' }
    }
}

Describe 'Input read exactly as written' {
    BeforeEach {
        $script:Conn = New-TestConnection -Emulator $script:Emulator
        $script:Dir = Join-Path ([System.IO.Path]::GetTempPath()) ("pup-integrity-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $script:Dir | Out-Null
    }

    AfterEach {
        Remove-Item -LiteralPath $script:Dir -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'a policy document with a key given twice is refused naming the key; nothing is written' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId -Policy @{ source = 'cloud'; allowedRoles = @($script:Roles.Global) }
        $file = Join-Path $script:Dir 'twice.json'
        Set-Content -LiteralPath $file -Value '{"schemaVersion":1,"source":"cloud","allowedRoles":["Global Administrator"],"allowedRoles":[]}'
        Clear-EmulatorRequest -Emulator $script:Emulator
        $err = Get-ErrorRecord { Import-PhotoUpdatePolicy @script:Conn -Path $file -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidDocument,*'
        $err.Exception.Message | Should -Match "'allowedRoles' appears twice"
        @(Get-PolicyRequest -Emulator $script:Emulator).Count | Should -Be 0
        @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId).allowedRoles) | Should -Be @($script:Roles.Global)
    }

    It 'an access token with a line break is refused at once, before anything is sent' {
        $token = New-EmulatorToken -Emulator $script:Emulator -TenantId $script:Conn.TenantId -AsPlainText
        $bad = $token.Substring(0, 30) + "`r`nX-Injected: 1`r`n" + $token.Substring(30)
        Clear-EmulatorRequest -Emulator $script:Emulator
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -AccessToken $bad -GraphEndpoint $script:Emulator.Url -AllowInsecureLoopback -TenantId $script:Conn.TenantId }
        $watch.Stop()
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidArgument,*'
        $err.Exception.Message | Should -Match 'line break'
        $err.Exception.Message | Should -Not -Match ([regex]::Escape($token.Substring(0, 30)))
        @(Get-EmulatorRequest -Emulator $script:Emulator).Count | Should -Be 0
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
    }

    It 'Export refuses to replace something that is not a regular file, even with -Force' -Skip:($IsWindows) {
        $socket = Join-Path $script:Dir 'socket'
        $listener = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
        try {
            $listener.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new($socket))
            Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId -Policy @{ source = 'cloud' }
            $err = Get-ErrorRecord { Export-PhotoUpdatePolicy @script:Conn -Path $socket -Force }
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.*'
            $err.Exception.Message | Should -Match 'not a regular file'
            (Get-Item -LiteralPath $socket -Force).UnixMode | Should -BeLike 's*'
        } finally {
            $listener.Dispose()
        }
    }
}

Describe 'Backups never overwrite' {
    It '8 runspaces changing one tenant into one folder: every change has its own backup' {
        $conn = New-TestConnection -Emulator $script:Emulator
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $conn.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
        $folder = Join-Path ([System.IO.Path]::GetTempPath()) ("pup-backups-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $folder | Out-Null
        try {
            $results = 1..8 | ForEach-Object -ThrottleLimit 8 -Parallel {
                Import-Module $using:Manifest
                $c = $using:conn
                $folder = $using:folder
                for ($i = 0; $i -lt 10; $i++) {
                    $source = if (($_ + $i) % 2) { 'onPremises' } else { 'cloud' }
                    Import-PhotoUpdatePolicy @c -InputObject @{ schemaVersion = 1; source = $source } -BackupPath $folder -PassThru -Confirm:$false -WarningAction SilentlyContinue
                }
            }
            $changed = @($results | Where-Object Status -eq 'Changed')
            $changed.Count | Should -BeGreaterThan 8
            $paths = @($changed.BackupPath)
            @($paths | Sort-Object -Unique).Count | Should -Be $changed.Count
            $files = @(Get-ChildItem -LiteralPath $folder -File)
            $files.Count | Should -Be $changed.Count
            foreach ($p in $paths) { Test-Path -LiteralPath $p | Should -BeTrue }
        } finally {
            Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Tenant identity' {
    It 'a token for tenant A with -TenantId B is refused before anything is sent, naming both' {
        $a = New-TestConnection -Emulator $script:Emulator
        $b = [guid]::NewGuid().ToString()
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $a.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $wrong = $a.Clone(); $wrong.TenantId = $b
        foreach ($call in { Get-PhotoUpdatePolicy @wrong }, { Set-PhotoUpdatePolicy @wrong -Source OnPremises -Confirm:$false }) {
            $err = Get-ErrorRecord $call
            $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidArgument,*'
            $err.Exception.Message | Should -Match $a.TenantId
            $err.Exception.Message | Should -Match $b
        }
        @(Get-PolicyRequest -Emulator $script:Emulator).Count | Should -Be 0
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $a.TenantId).source | Should -Be 'cloud'
        (Get-PhotoUpdatePolicy @a).TenantId | Should -Be $a.TenantId
    }

    It 'one token with 10 tenant IDs: one tenant is changed once, nine are refused' {
        $a = New-TestConnection -Emulator $script:Emulator
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $a.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
        $tenants = @(1..9 | ForEach-Object { [guid]::NewGuid().ToString() }) + $a.TenantId
        $fleet = @{ AccessToken = $a.AccessToken; GraphEndpoint = $a.GraphEndpoint; AllowInsecureLoopback = $true }
        Clear-EmulatorRequest -Emulator $script:Emulator
        $results = @(Import-PhotoUpdatePolicy @fleet -TenantId $tenants -InputObject @{ schemaVersion = 1; source = 'onPremises' } -PassThru -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        @($results | Where-Object Status -eq 'Changed').TenantId | Should -Be @($a.TenantId)
        @($results | Where-Object Status -eq 'Failed').Count | Should -Be 9
        @(Get-PolicyRequest -Emulator $script:Emulator | Where-Object method -eq 'PATCH').Count | Should -Be 1
        $errs.Count | Should -Be 9
        foreach ($e in $errs) { $e.Exception.Message | Should -Match $a.TenantId }
    }
}

Describe 'Write outcomes' {
    BeforeEach {
        Clear-EmulatorFault -Emulator $script:Emulator
        $script:Conn = New-TestConnection -Emulator $script:Emulator
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
    }

    AfterEach {
        Clear-EmulatorFault -Emulator $script:Emulator
    }

    It 'a PATCH applied whose answer was lost is reported Applied after reading back' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind resetAfterApply -Method PATCH
        $result = Set-PhotoUpdatePolicy @script:Conn -Source OnPremises -MaxRetries 0 -PassThru -Confirm:$false -WarningAction SilentlyContinue
        $result.Outcome | Should -Be 'Applied'
        $result.Source | Should -Be 'OnPremises'
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId).source | Should -Be 'onPremises'
    }

    It 'a PATCH that never arrived is an error with Outcome NotApplied' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind connectionReset -Method PATCH
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @script:Conn -Source OnPremises -MaxRetries 0 -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.*'
        $err.Exception.Outcome | Should -Be 'NotApplied'
        $err.Exception.Message | Should -Match 'Outcome: NotApplied'
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId).source | Should -Be 'cloud'
    }

    It 'concurrent -AddAllowedRole in 3 runspaces of one process: no role is lost (5 rounds)' {
        foreach ($round in 1..5) {
            Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId -Policy @{ source = 'cloud'; allowedRoles = @() }
            $outcomes = @('Global Administrator', 'User Administrator', 'People Administrator') | ForEach-Object -ThrottleLimit 3 -Parallel {
                Import-Module $using:Manifest
                $c = $using:Conn
                (Set-PhotoUpdatePolicy @c -AddAllowedRole $_ -PassThru -Confirm:$false -WarningAction SilentlyContinue).Outcome
            }
            @($outcomes) | Should -Be @('Applied', 'Applied', 'Applied')
            $stored = @((Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $script:Conn.TenantId).allowedRoles)
            ($stored | Sort-Object) | Should -Be (@($script:Roles.Global, $script:Roles.User, $script:Roles.People) | Sort-Object) -Because "round $round"
        }
    }
}
