# Stop means stop, nothing lost: a run over many tenants under -ErrorAction Stop (or
# $ErrorActionPreference = 'Stop') starts no tenant after the first failure, lets the ones in flight
# finish, writes every result, and ends with one terminating error naming what changed. Ctrl+C
# (StopProcessing) likewise finishes the tenants in flight and starts no more.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Endpoint = @{ GraphEndpoint = $script:Emulator.Url; AllowInsecureLoopback = $true }
    $script:Desired = @{ schemaVersion = 1; source = 'cloud'; allowedRoles = @('People Administrator') }

    # Tenants in pipeline order; those in $ReadOnly can read but not change (the write is refused
    # before anything is sent).
    function New-StopFleet([int] $Count, [int[]] $ReadOnly = @()) {
        for ($i = 0; $i -lt $Count; $i++) {
            $tenant = [guid]::NewGuid().ToString()
            $roles = if ($ReadOnly -contains $i) { @('PeopleSettings.Read.All') } else { @('PeopleSettings.ReadWrite.All') }
            Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $tenant -Policy @{ source = 'onPremises'; allowedRoles = @() }
            [pscustomobject]@{ TenantId = $tenant; AccessToken = (New-EmulatorToken -Emulator $script:Emulator -TenantId $tenant -Roles $roles) }
        }
    }

    function Test-Changed([string] $TenantId) {
        (Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $TenantId).source -eq 'cloud'
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Stopping a run over many tenants' {
    BeforeEach { Reset-Emulator -Emulator $script:Emulator }

    It 'Import -ErrorAction Stop: stops after the failed tenant, writes every result, and the error names what changed' {
        # Every token may write, so every tenant is read; the service then refuses the second
        # tenant's PATCH (faults are taken in order: the first PATCH only waits 1 ms).
        $fleet = @(New-StopFleet 4)
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -Method PATCH -Count 1 -LatencyMs 1
        Add-EmulatorFault -Emulator $script:Emulator -Kind forbiddenByPolicy -Method PATCH -Count 1
        $results = [System.Collections.Generic.List[object]]::new()
        $caught = $null
        try {
            $fleet | Import-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 1 -PassThru -Confirm:$false -ErrorAction Stop -WarningAction SilentlyContinue |
                ForEach-Object { $results.Add($_) }
        } catch {
            $caught = $_
        }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden*'
        "$caught" | Should -Match ([regex]::Escape("stopped because tenant '$($fleet[1].TenantId)' failed"))
        "$caught" | Should -Match ([regex]::Escape("Changed before the stop: $($fleet[0].TenantId)."))
        "$caught" | Should -Match ([regex]::Escape("Not started: $($fleet[2].TenantId), $($fleet[3].TenantId)."))

        # Every result came out before the error: changed, failed, and the two never started.
        $results.Count | Should -Be 4
        ($results | Where-Object TenantId -eq $fleet[0].TenantId).Status | Should -Be 'Changed'
        ($results | Where-Object TenantId -eq $fleet[1].TenantId).Status | Should -Be 'Failed'
        ($results | Where-Object TenantId -eq $fleet[2].TenantId).Status | Should -Be 'NotStarted'
        ($results | Where-Object TenantId -eq $fleet[3].TenantId).Status | Should -Be 'NotStarted'
        Test-Changed $fleet[0].TenantId | Should -BeTrue
        Test-Changed $fleet[2].TenantId | Should -BeFalse
        Test-Changed $fleet[3].TenantId | Should -BeFalse
    }

    It 'Import -ErrorAction Stop: a tenant whose token cannot write stops the run before any tenant is changed' {
        # The write pre-flight refuses it while the tenants are read for the preview, so nothing
        # has been written when the run stops.
        $fleet = @(New-StopFleet 4 -ReadOnly 1)
        $results = [System.Collections.Generic.List[object]]::new()
        $caught = $null
        try {
            $fleet | Import-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 1 -PassThru -Confirm:$false -ErrorAction Stop -WarningAction SilentlyContinue |
                ForEach-Object { $results.Add($_) }
        } catch {
            $caught = $_
        }
        $caught.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Forbidden*'
        "$caught" | Should -Match ([regex]::Escape("stopped because tenant '$($fleet[1].TenantId)' failed"))
        "$caught" | Should -BeLike '*No tenant was changed.*'
        $results.Count | Should -Be 4
        ($results | Where-Object TenantId -eq $fleet[1].TenantId).Status | Should -Be 'Failed'
        @($results | Where-Object Status -eq 'NotStarted').Count | Should -Be 3
        @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0
        foreach ($t in $fleet) { Test-Changed $t.TenantId | Should -BeFalse }
    }

    It '$ErrorActionPreference = Stop behaves the same, and without it every tenant still runs' {
        $fleet = @(New-StopFleet 3 -ReadOnly 0)
        $ErrorActionPreference = 'Stop'
        $results = [System.Collections.Generic.List[object]]::new()
        $caught = $null
        try {
            $fleet | Import-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 1 -PassThru -Confirm:$false -WarningAction SilentlyContinue |
                ForEach-Object { $results.Add($_) }
        } catch { $caught = $_ }
        "$caught" | Should -BeLike '*No tenant was changed.*'
        @($results.Status) | Should -Be @('Failed', 'NotStarted', 'NotStarted')
        $ErrorActionPreference = 'Continue'

        $all = @($fleet | Import-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 1 -PassThru -Confirm:$false -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        @($all | Where-Object Status -eq 'Changed').Count | Should -Be 2
        @($all | Where-Object Status -eq 'Failed').Count | Should -Be 1
    }

    It 'Test -ErrorAction Stop: a tenant that cannot be read stops the run after every result is written' {
        $fleet = @(New-StopFleet 3)
        # The second tenant's token is expired: Graph answers 401.
        $fleet[1].AccessToken = New-EmulatorToken -Emulator $script:Emulator -TenantId $fleet[1].TenantId -Roles 'PeopleSettings.Read.All' -ExpiresInSeconds -600
        $results = [System.Collections.Generic.List[object]]::new()
        $caught = $null
        try {
            $fleet | Test-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 1 -ErrorAction Stop | ForEach-Object { $results.Add($_) }
        } catch { $caught = $_ }
        "$caught" | Should -Match ([regex]::Escape("stopped because tenant '$($fleet[1].TenantId)' failed"))
        @($results.Status) | Should -Be @('Drifted', 'Failed', 'NotStarted')
    }

    It 'writes each result as soon as its tenant is done, not after the whole run' {
        $fleet = @(New-StopFleet 3)
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -Method GET -LatencyMs 400
        $stamps = [System.Collections.Generic.List[datetime]]::new()
        $fleet | Test-PhotoUpdatePolicy -InputObject $script:Desired @script:Endpoint -ThrottleLimit 1 | ForEach-Object { $stamps.Add([datetime]::UtcNow) }
        $stamps.Count | Should -Be 3
        # One at a time, 400 ms each: the first result arrived well before the last.
        ($stamps[2] - $stamps[0]).TotalMilliseconds | Should -BeGreaterThan 500
    }

    It 'Ctrl+C lets the tenants being changed finish and starts no more' {
        $fleet = @(New-StopFleet 4)
        # Each write takes 2.5 s; two tenants at a time.
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -Method PATCH -LatencyMs 2500
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$($script:Manifest)'").Invoke()
            $ps.Commands.Clear()
            $null = $ps.AddScript({
                    param($Fleet, $Desired, $Endpoint)
                    $Fleet | Import-PhotoUpdatePolicy -InputObject $Desired @Endpoint -ThrottleLimit 2 -PassThru -Confirm:$false -WarningAction SilentlyContinue
                }).AddArgument($fleet).AddArgument($script:Desired).AddArgument($script:Endpoint)
            $async = $ps.BeginInvoke()
            # Wait until both writes of the first two tenants are under way: every tenant is read
            # once (4 GETs), then the writes start without reading again (a PATCH is logged only
            # once answered, after its 2.5 s).
            $deadline = [datetime]::UtcNow.AddSeconds(20)
            while ([datetime]::UtcNow -lt $deadline -and @(Get-EmulatorRequest -Emulator $script:Emulator | Where-Object method -eq 'GET').Count -lt 4) {
                Start-Sleep -Milliseconds 50
            }
            Start-Sleep -Milliseconds 300
            $stopped = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $stopped.Stop()
            # The stop waited for the two writes in flight instead of cutting them off.
            $stopped.ElapsedMilliseconds | Should -BeGreaterThan 1000
        } finally {
            $ps.Dispose()
        }
        @($fleet | Where-Object { Test-Changed $_.TenantId }).Count | Should -Be 2
        Test-Changed $fleet[0].TenantId | Should -BeTrue
        Test-Changed $fleet[1].TenantId | Should -BeTrue
        Test-Changed $fleet[2].TenantId | Should -BeFalse
        Test-Changed $fleet[3].TenantId | Should -BeFalse
    }
}
