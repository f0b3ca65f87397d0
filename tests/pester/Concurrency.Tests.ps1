# Many runspaces calling the cmdlets at once share one native runtime and HTTP client safely:
# every call succeeds and every answer belongs to the tenant whose token made the call.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe

    # 20 tenants, each with its own token and a policy no other tenant has: source alternates,
    # the role list is a distinct subset of three roles plus the tenant's index in an extra
    # property the emulator stores verbatim (read back as AdditionalProperties).
    function New-TenantSet([int] $Count) {
        $roleSets = @(
            @($script:Roles.Global), @($script:Roles.User), @($script:Roles.People),
            @($script:Roles.Global, $script:Roles.User), @($script:Roles.User, $script:Roles.People)
        )
        for ($i = 0; $i -lt $Count; $i++) {
            $tenant = [guid]::NewGuid().ToString()
            $source = if ($i % 2) { 'cloud' } else { 'onPremises' }
            $roles = $roleSets[$i % $roleSets.Count]
            Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $tenant -Policy @{ source = $source; allowedRoles = $roles; tenantMarker = $i }
            [pscustomobject]@{
                Index    = $i
                TenantId = $tenant
                Token    = New-EmulatorToken -Emulator $script:Emulator -TenantId $tenant -AsPlainText
                Source   = $source
                Roles    = $roles
            }
        }
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Concurrent cmdlet calls' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        $script:Tenants = @(New-TenantSet 20)
    }

    It 'ForEach-Object -Parallel -ThrottleLimit 8: 200 calls, each answer is its own tenant''s policy' {
        $manifest = $script:Manifest
        $url = $script:Emulator.Url
        $work = 0..199 | ForEach-Object { $script:Tenants[$_ % $script:Tenants.Count] }
        $results = $work | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:manifest
            $t = $_
            try {
                $p = Get-PhotoUpdatePolicy -AccessToken $t.Token -GraphEndpoint $using:url -AllowInsecureLoopback -ErrorAction Stop
                [pscustomobject]@{
                    Index  = $t.Index
                    Ok     = $true
                    Tenant = $p.TenantId
                    Source = "$($p.Source)"
                    Roles  = @($p.AllowedRoles.Id)
                    Marker = $p.AdditionalProperties['tenantMarker']
                    Error  = $null
                }
            } catch {
                [pscustomobject]@{ Index = $t.Index; Ok = $false; Error = "$_" }
            }
        }
        $results.Count | Should -Be 200
        @($results | Where-Object { -not $_.Ok }).Error | Should -BeNullOrEmpty
        foreach ($r in $results) {
            $t = $script:Tenants[$r.Index]
            $r.Tenant | Should -Be $t.TenantId
            $r.Source | Should -Be $(if ($t.Source -eq 'cloud') { 'Cloud' } else { 'OnPremises' })
            $r.Roles | Should -Be $t.Roles
            [int] $r.Marker | Should -Be $t.Index
        }
        @(Get-PolicyRequest $script:Emulator | Where-Object status -EQ 200).Count | Should -Be 200
    }

    It 'ForEach-Object -Parallel: concurrent writes to 20 tenants each end in that tenant''s requested state' {
        $manifest = $script:Manifest
        $url = $script:Emulator.Url
        $roleNames = @('Global Administrator', 'User Administrator', 'People Administrator')
        # Each tenant gets three writes from different runspaces, all asking for the same target
        # state, so whatever the interleaving the end state is defined.
        $work = 0..59 | ForEach-Object { $script:Tenants[$_ % 20] }
        $results = $work | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:manifest
            $t = $_
            $names = $using:roleNames
            try {
                $r = Set-PhotoUpdatePolicy -AccessToken $t.Token -GraphEndpoint $using:url -AllowInsecureLoopback `
                    -Source Cloud -AllowedRoles $names[$t.Index % 3] -PassThru -Confirm:$false -WarningAction SilentlyContinue -ErrorAction Stop
                [pscustomobject]@{ Index = $t.Index; Ok = $true; Tenant = $r.TenantId; Error = $null }
            } catch {
                [pscustomobject]@{ Index = $t.Index; Ok = $false; Error = "$_" }
            }
        }
        @($results | Where-Object { -not $_.Ok }).Error | Should -BeNullOrEmpty
        $results.Count | Should -Be 60
        $ids = @($script:Roles.Global, $script:Roles.User, $script:Roles.People)
        foreach ($t in $script:Tenants) {
            $stored = Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $t.TenantId
            $stored.source | Should -Be 'cloud'
            @($stored.allowedRoles) | Should -Be @($ids[$t.Index % 3])
            [int] $stored.tenantMarker | Should -Be $t.Index    # unknown properties survive
        }
    }

    It 'Start-ThreadJob: 8 jobs x 25 calls, all right' {
        if (-not (Get-Command Start-ThreadJob -ErrorAction SilentlyContinue)) {
            Set-ItResult -Skipped -Because 'Start-ThreadJob (ThreadJob module) is not available in this PowerShell'
            return
        }
        $manifest = $script:Manifest
        $url = $script:Emulator.Url
        $jobs = foreach ($j in 0..7) {
            $slice = @(0..24 | ForEach-Object { $script:Tenants[($j * 25 + $_) % 20] })
            Start-ThreadJob -ThrottleLimit 8 -ArgumentList $manifest, $url, $slice -ScriptBlock {
                param($manifest, $url, $slice)
                Import-Module $manifest
                foreach ($t in $slice) {
                    $p = Get-PhotoUpdatePolicy -AccessToken $t.Token -GraphEndpoint $url -AllowInsecureLoopback -ErrorAction Stop
                    [pscustomobject]@{ Index = $t.Index; Tenant = $p.TenantId; Roles = @($p.AllowedRoles.Id) }
                }
            }
        }
        $results = @($jobs | Wait-Job -Timeout 120 | Receive-Job -ErrorVariable jobErrors)
        $states = @($jobs | ForEach-Object State)
        $jobs | Remove-Job -Force
        $jobErrors | Should -BeNullOrEmpty
        $states | Should -Not -Contain 'Failed'
        $results.Count | Should -Be 200
        foreach ($r in $results) {
            $t = $script:Tenants[$r.Index]
            $r.Tenant | Should -Be $t.TenantId
            $r.Roles | Should -Be $t.Roles
        }
    }

    It 'a call stopped in one runspace does not disturb calls running in others' {
        $manifest = $script:Manifest
        $url = $script:Emulator.Url
        $slow = $script:Tenants[0]
        # Every GET of the emulator is slowed a little, so the calls overlap the stop.
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -LatencyMs 300
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($manifest)
        $victim = [powershell]::Create($iss)
        $null = $victim.AddCommand('Get-PhotoUpdatePolicy').AddParameters(@{ AccessToken = $slow.Token; GraphEndpoint = $url; AllowInsecureLoopback = $true })
        try {
            $async = $victim.BeginInvoke()
            $results = 1..19 | ForEach-Object { $script:Tenants[$_] } | ForEach-Object -ThrottleLimit 8 -Parallel {
                Import-Module $using:manifest
                $p = Get-PhotoUpdatePolicy -AccessToken $_.Token -GraphEndpoint $using:url -AllowInsecureLoopback -ErrorAction Stop
                [pscustomobject]@{ Index = $_.Index; Tenant = $p.TenantId }
            } -AsJob
            Start-Sleep -Milliseconds 100
            $victim.Stop()
            $victim.InvocationStateInfo.State | Should -BeIn @('Stopped', 'Completed')
            $done = @($results | Wait-Job -Timeout 60 | Receive-Job)
            $results | Remove-Job -Force
            $done.Count | Should -Be 19
            foreach ($r in $done) { $r.Tenant | Should -Be $script:Tenants[$r.Index].TenantId }
        } finally {
            $victim.Dispose()
            Clear-EmulatorFault -Emulator $script:Emulator
        }
    }
}
