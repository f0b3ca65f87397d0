# Drives the Graph emulator (tests/emulator, docs/emulator.md) from PowerShell: start it as a
# process, mint tokens, change its profile and faults, read its request log. Used by the Pester
# tests and by build.ps1 -Task Run. Works on Windows PowerShell 5.1 and PowerShell 7.
Set-StrictMode -Version 3.0

function Start-GraphEmulator {
    <#
    .SYNOPSIS
    Starts graph-emulator on a free loopback port and returns @{ Url; Process; LogDir }.
    #>
    [CmdletBinding()]
    param(
        # Path of the graph-emulator executable.
        [Parameter(Mandatory)] [string] $Path,
        # Profile settings, e.g. 'patch=204'.
        [string[]] $ProfileSetting = @(),
        # Seconds to wait for the "listening on" line.
        [int] $TimeoutSeconds = 20
    )
    if (-not (Test-Path -LiteralPath $Path)) {
        throw "graph-emulator not found at '$Path': build it with 'cargo build --release -p graph_emulator' (build.ps1 -Task Build does)."
    }
    $logDir = Join-Path ([System.IO.Path]::GetTempPath()) ("graph-emulator-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $logDir | Out-Null
    $out = Join-Path $logDir 'stdout.txt'
    $err = Join-Path $logDir 'stderr.txt'
    $arguments = @('--port', '0')
    foreach ($p in $ProfileSetting) { $arguments += @('--profile', $p) }
    # Output goes to files: nobody has to keep draining a pipe for the emulator not to block.
    $process = Start-Process -FilePath $Path -ArgumentList $arguments -RedirectStandardOutput $out `
        -RedirectStandardError $err -PassThru -NoNewWindow
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if (Test-Path -LiteralPath $out) {
            $first = Get-Content -LiteralPath $out -TotalCount 1 -ErrorAction SilentlyContinue
            if ($first -match '^graph-emulator listening on (http://\S+)$') {
                return [pscustomobject]@{ Url = $Matches[1]; Process = $process; LogDir = $logDir }
            }
        }
        if ($process.HasExited) {
            $stderr = Get-Content -LiteralPath $err -Raw -ErrorAction SilentlyContinue
            throw "graph-emulator exited with code $($process.ExitCode) before listening: $stderr"
        }
        Start-Sleep -Milliseconds 50
    }
    Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue
    throw "graph-emulator did not print its URL within $TimeoutSeconds s (logs in $logDir)."
}

function Stop-GraphEmulator {
    <# .SYNOPSIS Stops an emulator started by Start-GraphEmulator and removes its logs. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Emulator)
    if ($Emulator.Process -and -not $Emulator.Process.HasExited) {
        Stop-Process -Id $Emulator.Process.Id -Force -ErrorAction SilentlyContinue
        $Emulator.Process.WaitForExit(5000) | Out-Null
    }
    Remove-Item -LiteralPath $Emulator.LogDir -Recurse -Force -ErrorAction SilentlyContinue
}

function Invoke-EmulatorApi {
    <# .SYNOPSIS Calls the emulator's control API (JSON in, JSON out). #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Emulator,
        [Parameter(Mandatory)] [string] $Method,
        [Parameter(Mandatory)] [string] $Path,
        $Body
    )
    $params = @{ Method = $Method; Uri = ($Emulator.Url + $Path); ContentType = 'application/json' }
    if ($PSBoundParameters.ContainsKey('Body')) {
        $params.Body = if ($Body -is [string]) { $Body } else { $Body | ConvertTo-Json -Depth 10 -Compress }
    }
    Invoke-RestMethod @params
}

function New-EmulatorToken {
    <#
    .SYNOPSIS
    Mints an access token for a tenant; returns it as a SecureString unless -AsPlainText.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Emulator,
        [Parameter(Mandatory)] [string] $TenantId,
        # Application permissions (roles claim). Default: read/write.
        [string[]] $Roles = @('PeopleSettings.ReadWrite.All'),
        # Delegated scopes instead of application roles.
        [string] $Scope,
        [string[]] $Wids,
        # A delegated token without the wids claim (it then says nothing about the user's roles).
        [switch] $OmitWids,
        [int] $ExpiresInSeconds = 3600,
        [switch] $AsPlainText
    )
    $body = @{ tenantId = $TenantId; expiresInSeconds = $ExpiresInSeconds }
    if ($Scope) { $body.scp = $Scope } else { $body.roles = @($Roles) }
    if ($Wids) { $body.wids = @($Wids) }
    if ($OmitWids) { $body.omitWids = $true }
    $token = (Invoke-EmulatorApi -Emulator $Emulator -Method Post -Path '/_emulator/tokens' -Body $body).access_token
    if ($AsPlainText) { return $token }
    $secure = New-Object System.Security.SecureString
    foreach ($c in $token.ToCharArray()) { $secure.AppendChar($c) }
    $secure.MakeReadOnly()
    $secure
}

function Reset-Emulator {
    <# .SYNOPSIS Forgets tenants, faults and the request log; profile back to the start-up one. #>
    param([Parameter(Mandatory)] $Emulator)
    Invoke-EmulatorApi -Emulator $Emulator -Method Post -Path '/_emulator/reset' | Out-Null
}

function Set-EmulatorProfile {
    <# .SYNOPSIS Merges profile settings, e.g. @{ patch = '204' }. #>
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [hashtable] $Settings)
    Invoke-EmulatorApi -Emulator $Emulator -Method Put -Path '/_emulator/profile' -Body $Settings | Out-Null
}

function Set-EmulatorPolicy {
    <# .SYNOPSIS Stores a tenant's policy verbatim (raw JSON as the service holds it). #>
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $TenantId, [Parameter(Mandatory)] $Policy)
    Invoke-EmulatorApi -Emulator $Emulator -Method Put -Path "/_emulator/tenants/$TenantId/policy" -Body $Policy | Out-Null
}

function Get-EmulatorPolicy {
    <# .SYNOPSIS Reads a tenant's stored policy verbatim. #>
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $TenantId)
    Invoke-EmulatorApi -Emulator $Emulator -Method Get -Path "/_emulator/tenants/$TenantId/policy"
}

function Add-EmulatorFault {
    <# .SYNOPSIS Adds a fault, e.g. -Kind throttle -Count 10 -RetryAfterSeconds 1. #>
    param(
        [Parameter(Mandatory)] $Emulator,
        [Parameter(Mandatory)] [string] $Kind,
        [string] $Route = 'graph',
        [string] $Method,
        [int] $Count,
        [int] $RetryAfterSeconds,
        [int] $LatencyMs
    )
    $body = @{ route = $Route; kind = $Kind }
    if ($Method) { $body.method = $Method }
    if ($PSBoundParameters.ContainsKey('Count')) { $body.count = $Count }
    if ($PSBoundParameters.ContainsKey('RetryAfterSeconds')) { $body.retryAfterSeconds = $RetryAfterSeconds }
    if ($PSBoundParameters.ContainsKey('LatencyMs')) { $body.latencyMs = $LatencyMs }
    Invoke-EmulatorApi -Emulator $Emulator -Method Post -Path '/_emulator/faults' -Body $body | Out-Null
}

function Clear-EmulatorFault {
    param([Parameter(Mandatory)] $Emulator)
    Invoke-EmulatorApi -Emulator $Emulator -Method Delete -Path '/_emulator/faults' | Out-Null
}

function Get-EmulatorRequest {
    <# .SYNOPSIS The Graph requests the emulator received (control API calls excluded). #>
    param([Parameter(Mandatory)] $Emulator, [switch] $All)
    $log = Invoke-EmulatorApi -Emulator $Emulator -Method Get -Path '/_emulator/requests'
    $entries = if ($log -is [array]) { $log } elseif ($null -ne $log -and $log.PSObject.Properties['requests']) { $log.requests } else { @($log) }
    $entries = @($entries | Where-Object { $null -ne $_ })
    if ($All) { return $entries }
    @($entries | Where-Object { $_.path -notlike '/_emulator*' })
}

function Clear-EmulatorRequest {
    param([Parameter(Mandatory)] $Emulator)
    Invoke-EmulatorApi -Emulator $Emulator -Method Delete -Path '/_emulator/requests' | Out-Null
}

Export-ModuleMember -Function Start-GraphEmulator, Stop-GraphEmulator, Invoke-EmulatorApi, New-EmulatorToken,
    Reset-Emulator, Set-EmulatorProfile, Set-EmulatorPolicy, Get-EmulatorPolicy, Add-EmulatorFault,
    Clear-EmulatorFault, Get-EmulatorRequest, Clear-EmulatorRequest
