# Hardening (issue #7): faults injected by the Graph emulator, end to end through the cmdlets,
# asserting what the caller sees AND the tenant's final state in the emulator; Ctrl+C while a call
# waits out a Retry-After or reads a slow body; bad input that must never reach the service; the
# shipped native library; memory staying flat over many calls.
#
# Figures (cancellation latency, working set growth) are printed with Write-Host and, when
# $env:PHOTOPOLICY_HARDENING_FIGURES names a file, appended to it (docs/hardening.md quotes them).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe

    # Parameters the connection engineer adds to GraphCmdlet (per call). Tests that need them are
    # skipped, saying so, until they exist.
    $getParams = (Get-Command Get-PhotoUpdatePolicy).Parameters
    $script:HasTimeoutSec = $getParams.ContainsKey('TimeoutSec')
    $script:HasRetryBudget = $getParams.ContainsKey('RetryBudgetSec') -and $getParams.ContainsKey('MaxRetries')

    function Write-Figure([string] $Name, [string] $Value) {
        Write-Host "   [figure] ${Name}: $Value"
        if ($env:PHOTOPOLICY_HARDENING_FIGURES) {
            Add-Content -LiteralPath $env:PHOTOPOLICY_HARDENING_FIGURES -Value "${Name}: $Value"
        }
    }

    # The verbose lines a command wrote (stream 4), as text.
    function Get-VerboseText([scriptblock] $Script) {
        $records = & $Script 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($records | ForEach-Object { $_.Message })
    }

    # The tenant's stored policy as the emulator holds it.
    function Get-TenantPolicy($Connection) { Get-EmulatorPolicy -Emulator $script:Emulator -TenantId $Connection.TenantId }

    # Graph requests (method, status) the emulator logged.
    function Get-GraphLog { @(Get-PolicyRequest $script:Emulator) }

    # Starts a cmdlet in a fresh runspace of this process, waits until it is running for
    # $WaitMs, then Stop()s it from this thread. Returns the Stop() latency (ms), the final state,
    # and the PowerShell instance (caller disposes) for follow-up calls in the same runspace.
    function Measure-Stop {
        param([string] $Command, [hashtable] $Parameters, [int] $WaitMs = 1500)
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($script:Manifest)
        $ps = [powershell]::Create($iss)
        $null = $ps.AddCommand($Command).AddParameters($Parameters)
        $async = $ps.BeginInvoke()
        Start-Sleep -Milliseconds $WaitMs
        $stateBefore = $ps.InvocationStateInfo.State
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $watch.Stop()
        [pscustomobject]@{
            StateBefore = $stateBefore
            State       = $ps.InvocationStateInfo.State
            StopMs      = $watch.Elapsed.TotalMilliseconds
            PowerShell  = $ps
        }
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Faults injected by the emulator: what the caller sees and what the tenant ends up with' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        $script:c = New-TestConnection -Emulator $script:Emulator
        Clear-EmulatorRequest -Emulator $script:Emulator
    }

    It '429 with Retry-After on the PATCH: waits, retries, applies; -Verbose shows the retry' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method PATCH -RetryAfterSeconds 1 -Count 1
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $verbose = Get-VerboseText { Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles 'People Administrator' -Verbose }
        $watch.Stop()
        ($verbose -join "`n") | Should -Match '429 Too Many Requests, retrying in 1(\.0)? s \(attempt 2 of \d+\)'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9   # Retry-After was honoured
        $stored = Get-TenantPolicy $c
        $stored.source | Should -Be 'cloud'
        @($stored.allowedRoles) | Should -Be @($script:Roles.People)
        $patches = @(Get-GraphLog | Where-Object method -EQ 'PATCH')
        @($patches.status) | Should -Be @(429, 200)
    }

    It 'a message the caller turned into a stop ($VerbosePreference = Stop) ends the call cleanly; the next call works' {
        # Warm calls run on the pipeline thread and write their messages straight from the native
        # callback: a write that throws must not cross into native code, and must end the command.
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttleNoRetryAfter -Method GET -Count 1
        $failure = $null
        try {
            $VerbosePreference = 'Stop'
            $null = Get-PhotoUpdatePolicy @c
        } catch {
            $failure = $_
        } finally {
            $VerbosePreference = 'SilentlyContinue'
        }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -Not -BeLike 'PhotoUpdatePolicy.*'   # the stop, not a Graph error
        $failure.Exception.Message | Should -Match 'Verbose|stopped'
        # The call was cancelled at the first message: the retry was never sent.
        @(Get-GraphLog).status | Should -Be @(429)
        (Get-PhotoUpdatePolicy @c).TenantId | Should -Be $c.TenantId
    }

    It '429 without Retry-After: backs off and succeeds' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttleNoRetryAfter -Method GET -Count 2
        $verbose = Get-VerboseText { Get-PhotoUpdatePolicy @c -Verbose }
        $retries = @($verbose | Where-Object { $_ -match '^429 Too Many Requests, retrying in' })
        $retries.Count | Should -Be 2
        @(Get-GraphLog).status | Should -Be @(429, 429, 200)
    }

    It '429 beyond the retries: Throttled, ResourceUnavailable, request-id, tenant unchanged' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId -Policy @{ source = 'onPremises' }
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method PATCH -RetryAfterSeconds 0
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source Cloud }
        $err.FullyQualifiedErrorId | Should -Be 'PhotoUpdatePolicy.Throttled,PhotoUpdatePolicy.Commands.SetPhotoUpdatePolicyCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.HttpStatus | Should -Be 429
        $err.Exception.RequestId | Should -Match '^[0-9a-f-]{36}$'
        $err.Exception.Message | Should -Match ([regex]::Escape($err.Exception.RequestId))
        $err.Exception.Message | Should -Match 'maxRetries|budget'
        (Get-TenantPolicy $c).source | Should -Be 'onPremises'
        @(Get-GraphLog | Where-Object { $_.method -eq 'PATCH' -and $_.status -eq 200 }).Count | Should -Be 0
    }

    It '429 beyond -RetryBudgetSec: Throttled without waiting the whole Retry-After' {
        $script:HasRetryBudget | Should -BeTrue -Because 'every Graph cmdlet has -MaxRetries and -RetryBudgetSec'
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -RetryAfterSeconds 30
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c -RetryBudgetSec 5 -MaxRetries 5 }
        $watch.Stop()
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Throttled,*'
        $err.Exception.Message | Should -Match 'budget'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It '503 then success: the change is applied once' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind unavailable -Method PATCH -Count 2
        $r = Set-PhotoUpdatePolicy @c -Source OnPremises -PassThru
        $r.Source | Should -Be 'OnPremises'
        (Get-TenantPolicy $c).source | Should -Be 'onPremises'
        @(Get-GraphLog | Where-Object method -EQ 'PATCH').status | Should -Be @(503, 503, 200)
    }

    It '504 then success on a read' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId -Policy @{ source = 'cloud' }
        Add-EmulatorFault -Emulator $script:Emulator -Kind gatewayTimeout -Count 1
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'Cloud'
        @(Get-GraphLog).status | Should -Be @(504, 200)
    }

    It 'connection reset during a GET: retried, right answer' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId -Policy @{ allowedRoles = @($script:Roles.Global) }
        Add-EmulatorFault -Emulator $script:Emulator -Kind connectionReset -Method GET -Count 1
        $verbose = Get-VerboseText { Get-PhotoUpdatePolicy @c -Verbose }
        ($verbose -join "`n") | Should -Match 'Connection failed, retrying in'
        $log = Get-GraphLog
        $log.Count | Should -Be 2
        $log[0].status | Should -BeNullOrEmpty     # dropped without an answer
        $log[1].status | Should -Be 200
    }

    It 'connection reset during a PATCH: retried, the desired state applied exactly once' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind connectionReset -Method PATCH -Count 1
        $r = Set-PhotoUpdatePolicy @c -Source Cloud -AddAllowedRole 'User Administrator' -PassThru
        $r.Source | Should -Be 'Cloud'
        $r.AllowedRoles.Id | Should -Be @($script:Roles.User)
        $stored = Get-TenantPolicy $c
        $stored.source | Should -Be 'cloud'
        @($stored.allowedRoles) | Should -Be @($script:Roles.User)   # not added twice
        $patches = @(Get-GraphLog | Where-Object method -EQ 'PATCH')
        $patches.Count | Should -Be 2
        $patches[0].status | Should -BeNullOrEmpty
        $patches[1].status | Should -Be 200
        # Both attempts carried the same full target values (idempotent), not a delta.
        $patches[0].body | Should -Be $patches[1].body
    }

    It 'truncated JSON: InvalidResponse with a clear message, and the next call works' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind truncatedJson -Method GET -Count 1
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidResponse,*'
        $err.Exception.Message | Should -Match 'not valid JSON'
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'malformed JSON: InvalidResponse with a clear message; a write is not reported as done' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind malformedJson -Method GET -Count 1
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source Cloud }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidResponse,*'
        $err.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
        $err.Exception.Message | Should -Match 'JSON'
        (Get-TenantPolicy $c).PSObject.Properties.Name | Should -Not -Contain 'source'
        @(Get-GraphLog | Where-Object method -EQ 'PATCH').Count | Should -Be 0
    }

    It 'added latency within the limits: succeeds' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -LatencyMs 1500 -Count 2
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $r = Set-PhotoUpdatePolicy @c -Source Cloud -PassThru
        $watch.Stop()
        $r.Source | Should -Be 'Cloud'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2.9
        (Get-TenantPolicy $c).source | Should -Be 'cloud'
    }

    It 'a slow body beyond -TimeoutSec: Timeout naming the limit' {
        $script:HasTimeoutSec | Should -BeTrue -Because 'every Graph cmdlet has -TimeoutSec'
        Add-EmulatorFault -Emulator $script:Emulator -Kind slowBody -LatencyMs 6000
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c -TimeoutSec 2 }
        $watch.Stop()
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Timeout,*'
        $err.Exception.Message | Should -Match 'timeout'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
    }
}

Describe 'Timeouts and retry limits per call and per connection (-TimeoutSec, -MaxRetries, …)' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        $script:c = New-TestConnection -Emulator $script:Emulator
        # The session's connection, made with the default limits (100 s timeout, 5 retries).
        $script:Session = @{ AccessToken = $c.AccessToken; GraphEndpoint = $c.GraphEndpoint; AllowInsecureLoopback = $true }
        Connect-PhotoUpdatePolicy @Session
        Clear-EmulatorRequest -Emulator $script:Emulator
    }
    AfterEach { Disconnect-PhotoUpdatePolicy }

    It 'a per-call -TimeoutSec 1 on the session connection times out on a 3 s latency; the connection keeps its own' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -Method GET -LatencyMs 3000 -Count 1
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -TimeoutSec 1 }
        $watch.Stop()
        $err.FullyQualifiedErrorId | Should -Be 'PhotoUpdatePolicy.Timeout,PhotoUpdatePolicy.Commands.GetPhotoUpdatePolicyCommand'
        $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
        # Named by the parameter the user passed, in its unit; never by the C ABI's config key.
        $err.Exception.Message | Should -Match '\(-TimeoutSec 1\)'
        $err.Exception.Message | Should -Not -CMatch 'timeouts\.|retry\.|totalMs|connectMs|maxRetries|budgetMs|maxRetryAfterSeconds|allowInsecureLoopback'
        $err.ErrorDetails.RecommendedAction | Should -Match 'raise -TimeoutSec'
        $err.ErrorDetails.RecommendedAction | Should -Not -CMatch 'timeouts\.|retry\.|totalMs|connectMs|maxRetries|budgetMs|maxRetryAfterSeconds|allowInsecureLoopback'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2.5
        # The next command without -TimeoutSec waits a 1.5 s latency out: the session was not changed.
        Add-EmulatorFault -Emulator $script:Emulator -Kind latency -Method GET -LatencyMs 1500 -Count 1
        (Get-PhotoUpdatePolicy).TenantId | Should -Be $c.TenantId
    }

    It '-MaxRetries 0 surfaces a single 503 at once; without it the session retries' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind unavailable -Method GET -Count 3
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -MaxRetries 0 }
        $watch.Stop()
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ServiceUnavailable,*'
        $err.Exception.HttpStatus | Should -Be 503
        $err.Exception.Message | Should -Match 'gave up after 1 attempt \(-MaxRetries 0\)'
        $err.Exception.Message | Should -CMatch '-MaxRetries 0'
        $err.Exception.Message | Should -Not -CMatch 'timeouts\.|retry\.|totalMs|connectMs|maxRetries|budgetMs|maxRetryAfterSeconds|allowInsecureLoopback'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 1
        @(Get-GraphLog).status | Should -Be @(503)
        # The two 503s left are absorbed by the session's own retries.
        (Get-PhotoUpdatePolicy).TenantId | Should -Be $c.TenantId
        @(Get-GraphLog).status | Should -Be @(503, 503, 503, 200)
    }

    It 'Connect-PhotoUpdatePolicy -MaxRetries 0 sets the connection default; a command may raise it' {
        Connect-PhotoUpdatePolicy @Session -MaxRetries 0 -TimeoutSec 30 -ConnectTimeoutSec 5 -RetryBudgetSec 60
        Clear-EmulatorRequest -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind unavailable -Method GET -Count 1
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ServiceUnavailable,*'
        @(Get-GraphLog).status | Should -Be @(503)
        Add-EmulatorFault -Emulator $script:Emulator -Kind unavailable -Method GET -Count 1
        (Get-PhotoUpdatePolicy -MaxRetries 1).TenantId | Should -Be $c.TenantId
        @(Get-GraphLog).status | Should -Be @(503, 503, 200)
    }

    It 'a one-off client (sign-in parameters) takes the limits into its own config' {
        Disconnect-PhotoUpdatePolicy
        Add-EmulatorFault -Emulator $script:Emulator -Kind unavailable -Method GET -Count 1
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c -MaxRetries 0 }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.ServiceUnavailable,*'
        @(Get-GraphLog).status | Should -Be @(503)
    }

    It 'a Retry-After beyond -MaxRetryAfterSec ends at once as Throttled with the wait; a higher -MaxRetryAfterSec waits it out' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method GET -RetryAfterSeconds 3 -Count 1
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -MaxRetryAfterSec 1 }
        $watch.Stop()
        $err.FullyQualifiedErrorId | Should -Be 'PhotoUpdatePolicy.Throttled,PhotoUpdatePolicy.Commands.GetPhotoUpdatePolicyCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Match '3 s \(Retry-After\)'
        $err.Exception.Message | Should -Match '-MaxRetryAfterSec 1 allows'
        $err.Exception.Message | Should -Not -CMatch 'timeouts\.|retry\.|totalMs|connectMs|maxRetries|budgetMs|maxRetryAfterSeconds|allowInsecureLoopback'
        $err.ErrorDetails.RecommendedAction | Should -Not -CMatch 'timeouts\.|retry\.|totalMs|connectMs|maxRetries|budgetMs|maxRetryAfterSeconds|allowInsecureLoopback'
        $err.Exception.RetryAfter | Should -Be ([TimeSpan]::FromSeconds(3))
        $err.ErrorDetails.RecommendedAction | Should -Match 'MaxRetryAfterSec'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
        @(Get-GraphLog).status | Should -Be @(429)
        # The session's cap (120 s) waits a 1 s Retry-After out; -MaxRetryAfterSec 2 a 2 s one.
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method GET -RetryAfterSeconds 2 -Count 1
        $watch.Restart()
        (Get-PhotoUpdatePolicy -MaxRetryAfterSec 2).TenantId | Should -Be $c.TenantId
        $watch.Elapsed.TotalSeconds | Should -BeGreaterThan 1.9
    }

    It 'Connect-PhotoUpdatePolicy -MaxRetryAfterSec sets the connection default' {
        Connect-PhotoUpdatePolicy @Session -MaxRetryAfterSec 1
        Clear-EmulatorRequest -Emulator $script:Emulator
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method GET -RetryAfterSeconds 5 -Count 1
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.Throttled,*'
        $err.Exception.Message | Should -Match '5 s \(Retry-After\)'
        @(Get-GraphLog).status | Should -Be @(429)
    }

    It 'out-of-range values are refused by name before anything is sent' {
        foreach ($bad in @(@{ TimeoutSec = 0 }, @{ TimeoutSec = 3601 }, @{ ConnectTimeoutSec = 301 }, @{ MaxRetries = 11 }, @{ MaxRetries = -1 }, @{ RetryBudgetSec = -1 }, @{ MaxRetryAfterSec = 0 }, @{ MaxRetryAfterSec = 3601 })) {
            $name = @($bad.Keys)[0]
            $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @bad }
            $err.FullyQualifiedErrorId | Should -BeLike "ParameterArgumentValidationError,*" -Because "$name = $($bad[$name])"
            $err.Exception.Message | Should -Match $name
        }
        $err = Get-ErrorRecord { Connect-PhotoUpdatePolicy @Session -TimeoutSec 0 }
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        @(Get-GraphLog).Count | Should -Be 0
    }
}

Describe 'Ctrl+C (PowerShell.Stop() from another thread)' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        $script:c = New-TestConnection -Emulator $script:Emulator
    }

    It 'while waiting out a Retry-After of 30 s: stops within 1 s, then the runspace and library still work' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -RetryAfterSeconds 30 -Count 1
        $m = Measure-Stop -Command 'Get-PhotoUpdatePolicy' -Parameters $c -WaitMs 1500
        try {
            Write-Figure 'cancel latency, Retry-After 30 s wait (ms)' ([math]::Round($m.StopMs, 1))
            $m.StateBefore | Should -Be 'Running'
            $m.State | Should -Be 'Stopped'
            $m.StopMs | Should -BeLessThan 1000
            # Only the throttled attempt was sent: the retry did not happen after the stop.
            Start-Sleep -Milliseconds 200
            @(Get-PolicyRequest $script:Emulator).Count | Should -Be 1
            # Same runspace, next call.
            $m.PowerShell.Commands.Clear()
            $again = $m.PowerShell.AddCommand('Get-PhotoUpdatePolicy').AddParameters($c).Invoke()
            $again[0].Source | Should -Be 'NotSet'
        } finally {
            $m.PowerShell.Dispose()
        }
        # And this runspace (same process, same native runtime).
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'during a slow body: stops within 1 s and the next call succeeds' {
        Add-EmulatorFault -Emulator $script:Emulator -Kind slowBody -LatencyMs 20000 -Count 1
        $m = Measure-Stop -Command 'Get-PhotoUpdatePolicy' -Parameters $c -WaitMs 1500
        try {
            Write-Figure 'cancel latency, slow body (ms)' ([math]::Round($m.StopMs, 1))
            $m.StateBefore | Should -Be 'Running'
            $m.State | Should -Be 'Stopped'
            $m.StopMs | Should -BeLessThan 1000
        } finally {
            $m.PowerShell.Dispose()
        }
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'during a PATCH retry wait: stops, and the tenant holds either the old or the new state' {
        Set-EmulatorPolicy -Emulator $script:Emulator -TenantId $c.TenantId -Policy @{ source = 'onPremises' }
        Add-EmulatorFault -Emulator $script:Emulator -Kind throttle -Method PATCH -RetryAfterSeconds 30 -Count 1
        $p = $c.Clone()
        $p.Source = 'Cloud'
        $p.Confirm = $false
        $m = Measure-Stop -Command 'Set-PhotoUpdatePolicy' -Parameters $p -WaitMs 1500
        try {
            Write-Figure 'cancel latency, PATCH Retry-After wait (ms)' ([math]::Round($m.StopMs, 1))
            $m.State | Should -Be 'Stopped'
            $m.StopMs | Should -BeLessThan 1000
        } finally {
            $m.PowerShell.Dispose()
        }
        (Get-TenantPolicy $c).source | Should -Be 'onPremises'   # the throttled PATCH changed nothing
        (Set-PhotoUpdatePolicy @c -Source Cloud -PassThru).Source | Should -Be 'Cloud'
    }
}

Describe 'Bad input never reaches the service' {
    BeforeEach {
        Reset-Emulator -Emulator $script:Emulator
        $script:c = New-TestConnection -Emulator $script:Emulator
        Clear-EmulatorRequest -Emulator $script:Emulator
    }

    It 'an unknown role names the value and the closest role: <Value>' -ForEach @(
        @{ Value = 'Usr Administrator'; Closest = 'User Administrator' }
        @{ Value = 'Global Admn'; Closest = 'Global Administrator' }
    ) {
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AddAllowedRole $Value }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
        $err.Exception.Message | Should -Match ([regex]::Escape($Value))
        $err.Exception.Message | Should -Match ([regex]::Escape($Closest))
        @(Get-GraphLog).Count | Should -Be 0
    }

    It 'a malformed GUID is refused naming it: <Value>' -ForEach @(
        @{ Value = '62e90394-69f5-4237-9190-012177145e1' }
        @{ Value = '62e90394-69f5-4237-9190-012177145e10x' }
        @{ Value = '62e90394_69f5_4237_9190_012177145e10' }
    ) {
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AllowedRoles $Value }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidRole,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match ([regex]::Escape($Value))
        @(Get-GraphLog).Count | Should -Be 0
    }

    It 'braces, upper case and whitespace around a GUID are accepted and sent clean' {
        $messy = "`t {" + $script:Roles.People.ToUpperInvariant() + "}  "
        $r = Set-PhotoUpdatePolicy @c -Source Cloud -AllowedRoles $messy -PassThru
        $r.AllowedRoles.Id | Should -Be $script:Roles.People
        $patch = @(Get-GraphLog | Where-Object method -EQ 'PATCH')[0]
        ($patch.body | ConvertTo-Json -Compress) | Should -Match ([regex]::Escape($script:Roles.People))
        @((Get-TenantPolicy $c).allowedRoles) | Should -Be @($script:Roles.People)
    }

    It 'a wrong -Source is rejected by ValidateSet' {
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -Source 'OnPrem' }
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        $err.Exception.Message | Should -Match 'OnPrem'
        @(Get-GraphLog).Count | Should -Be 0
    }

    It 'a wrong -Environment is rejected by ValidateSet' {
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy @c -Environment 'Mars' }
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        @(Get-GraphLog).Count | Should -Be 0
    }

    It 'a 100 MB role string: a clear error, nothing sent, the session survives' {
        $huge = 'x' * 100MB
        $err = Get-ErrorRecord { Set-PhotoUpdatePolicy @c -AddAllowedRole $huge }
        $huge = $null
        [GC]::Collect()
        $err | Should -Not -BeNullOrEmpty
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message.Length | Should -BeLessThan 2000   # the value is not echoed whole
        $err.Exception.Message | Should -Match 'MiB|too long|limit'
        @(Get-GraphLog).Count | Should -Be 0
        (Get-PhotoUpdatePolicy @c).Source | Should -Be 'NotSet'
    }

    It 'an endpoint outside the cloud is refused before any request: <Url>' -ForEach @(
        @{ Url = 'https://graph.microsoft.com.evil.example' }
        @{ Url = 'http://graph.microsoft.com' }
        @{ Url = 'https://graph.microsoft.us' }
    ) {
        $err = Get-ErrorRecord { Get-PhotoUpdatePolicy -AccessToken $c.AccessToken -GraphEndpoint $Url }
        $err.FullyQualifiedErrorId | Should -BeLike 'PhotoUpdatePolicy.InvalidArgument,*'
        $err.Exception.Message | Should -Match ([regex]::Escape($Url))
    }

    It 'Import-PhotoUpdatePolicy refuses bad JSON, wrong types and a huge file before sending' {
        $cmd = Get-Command Import-PhotoUpdatePolicy -ErrorAction SilentlyContinue
        $cmd | Should -Not -BeNullOrEmpty
        $pathParam = @('Path', 'LiteralPath', 'FilePath') | Where-Object { $cmd.Parameters.ContainsKey($_) } | Select-Object -First 1
        $pathParam | Should -Not -BeNullOrEmpty
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-import-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        try {
            $cases = [ordered]@{
                'bad.json'   = '{"source": "cloud", '
                'types.json' = '{"source": 5, "allowedRoles": "Global Administrator"}'
                'array.json' = '[1,2,3]'
            }
            foreach ($name in $cases.Keys) {
                $file = Join-Path $dir $name
                Set-Content -LiteralPath $file -Value $cases[$name] -NoNewline
                $p = @{ $pathParam = $file }
                $err = Get-ErrorRecord { Import-PhotoUpdatePolicy @c @p -Confirm:$false }
                $err | Should -Not -BeNullOrEmpty -Because $name
                $err.CategoryInfo.Category | Should -BeIn @('InvalidArgument', 'InvalidData') -Because $name
            }
            $huge = Join-Path $dir 'huge.json'
            $stream = [System.IO.File]::Create($huge)
            try { $stream.SetLength(100MB) } finally { $stream.Dispose() }
            $p = @{ $pathParam = $huge }
            $err = Get-ErrorRecord { Import-PhotoUpdatePolicy @c @p -Confirm:$false }
            $err | Should -Not -BeNullOrEmpty
            @(Get-GraphLog | Where-Object method -NE 'GET').Count | Should -Be 0
        } finally {
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'The shipped native library' {
    It 'does not export the test-only panic entry point (the panic boundary is proven in tests/abi.rs and tests/c)' {
        $native = Get-ChildItem -Path (Join-Path $script:ModuleFolder 'runtimes') -Recurse -File |
            Where-Object { $_.Name -match '^(lib)?photo_update_policy\.(so|dll|dylib)$' } | Select-Object -First 1
        $native | Should -Not -BeNullOrEmpty
        $handle = [System.Runtime.InteropServices.NativeLibrary]::Load($native.FullName)
        $address = [IntPtr]::Zero
        [System.Runtime.InteropServices.NativeLibrary]::TryGetExport($handle, 'pup_debug_panic', [ref] $address) | Should -BeFalse
        [System.Runtime.InteropServices.NativeLibrary]::TryGetExport($handle, 'pup_policy_get', [ref] $address) | Should -BeTrue
    }
}

Describe 'Memory stays flat' {
    It '2,000 Get calls: working set growth over the last 1,000 is under 5 MB' {
        # In a fresh PowerShell, so earlier tests (the 100 MB string) do not move the figures.
        Reset-Emulator -Emulator $script:Emulator
        $c = New-TestConnection -Emulator $script:Emulator
        $token = [System.Net.NetworkCredential]::new('', $c.AccessToken).Password
        $script = {
            param($Manifest, $Url, $Token)
            $ErrorActionPreference = 'Stop'
            Import-Module $Manifest
            $process = [System.Diagnostics.Process]::GetCurrentProcess()
            function Get-SettledWorkingSet {
                [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
                $process.Refresh()
                $process.WorkingSet64
            }
            $p = @{ AccessToken = $Token; GraphEndpoint = $Url; AllowInsecureLoopback = $true }
            for ($i = 0; $i -lt 1000; $i++) { $null = Get-PhotoUpdatePolicy @p }
            $middle = Get-SettledWorkingSet
            for ($i = 0; $i -lt 1000; $i++) { $null = Get-PhotoUpdatePolicy @p }
            $end = Get-SettledWorkingSet
            "$middle $end"
        }
        $pwsh = @(Get-PwshCommand)
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command',
            "& { $script } '$($script:Manifest)' '$($script:Emulator.Url)' '$token'")
        $out = & $pwsh[0] @arguments 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $middle, $end = ("$(@($out)[-1])".Trim() -split ' ') | ForEach-Object { [double] $_ }
        $growthMb = ($end - $middle) / 1MB
        Write-Figure 'working set after 1,000 Get calls (MB)' ([math]::Round($middle / 1MB, 1))
        Write-Figure 'working set growth over calls 1,001-2,000 (MB)' ([math]::Round($growthMb, 2))
        $growthMb | Should -BeLessThan 5
        @(Get-PolicyRequest $script:Emulator).Count | Should -Be 2000
    }
}
