<#
.SYNOPSIS
The one entry point that builds, tests and demonstrates PhotoUpdatePolicy (CI runs exactly this).

.DESCRIPTION
Run it with the pinned PowerShell (a .NET local tool), so a fresh machine needs only the .NET SDK
and Rust:

    dotnet tool restore && dotnet pwsh -NoProfile -File ./build.ps1 -Task Test

Tasks:
  Build  cargo build --release (native library + Graph emulator), header check, dotnet build of the
         module (net6.0 and net472), module folder assembled in out/PhotoUpdatePolicy, help.
  Check  The static checks the workflow runs: cargo fmt --check, cargo clippy -D warnings and
         dotnet format --verify-no-changes (module, peer and net472 test projects). Exits non-zero on any
         finding.
  Test   Build, the checks of -Task Check, then cargo test --workspace, the C ABI tests
         (tests/c/run.sh, plain and under AddressSanitizer + UndefinedBehaviorSanitizer), the
         net472 build's code under Mono (tests/net472; skipped with a note when mono is missing,
         except in CI), the peer client tests (tests/peer: Azure.Identity against the emulator),
         the help check, and
         Pester against the assembled module in a fresh pwsh. Prints "N passed, N failed" last and
         exits non-zero on any failure.
  Run    Build, start the Graph emulator, mint a token, and show Get -> Set (-WhatIf, then real) ->
         Get -> Reset as an admin would see them. With -AccessToken it runs against that real
         tenant instead (Set and Reset then ask for confirmation).
  Bench  Build, then the benchmark suite (tests/bench/Invoke-Benchmarks.ps1): every figure next to
         its baseline, written to bench-results/results.json and results.md (docs/performance.md).
         Not part of Test.
  Clean  Removes out/, the .NET bin/obj folders and this workspace's own cargo artifacts (compiled
         dependencies are kept so the next build is quick).

.EXAMPLE
dotnet pwsh -NoProfile -File ./build.ps1 -Task Run

.EXAMPLE
dotnet pwsh -NoProfile -File ./build.ps1 -Task Run -AccessToken (Get-AzAccessToken -ResourceUrl https://graph.microsoft.com -AsSecureString).Token
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Check', 'Test', 'Run', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    # Run only: a Microsoft Graph access token for a real tenant (SecureString or string).
    [object] $AccessToken,

    # Run only: the real tenant's ID or domain (defaults to the token's tenant).
    [string] $TenantId,

    # Run only: the real tenant's cloud.
    [ValidateSet('Global', 'USGov', 'USGovDoD', 'China')]
    [string] $Environment = 'Global'
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$Root = $PSScriptRoot
$OutDir = Join-Path $Root 'out'
$ModuleDir = Join-Path $OutDir 'PhotoUpdatePolicy'
$ProjectFile = Join-Path $Root 'powershell/PhotoUpdatePolicy/PhotoUpdatePolicy.csproj'
$ModuleSources = Join-Path $Root 'powershell/module'
$CommittedHeader = Join-Path $Root 'ffi/include/photo_update_policy.h'
$HelpScript = Join-Path $Root 'tools/help/Build-Help.ps1'
$ExeSuffix = if ($IsWindows) { '.exe' } else { '' }
$EmulatorPath = Join-Path $Root "target/release/graph-emulator$ExeSuffix"

function Write-Step([string] $Message) {
    Write-Host ''
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Assert-Command([string] $Name, [string] $Hint) {
    if (-not (Get-Command $Name -ErrorAction SilentlyContinue)) {
        throw "'$Name' was not found on PATH. $Hint"
    }
}

# Runs a native command, echoing its output; throws with the command line when it fails.
function Invoke-Tool {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $Arguments = @())
    Write-Host "   $FilePath $($Arguments -join ' ')" -ForegroundColor DarkGray
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($Arguments -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

# Runs a native command, streaming its output (stdout and stderr) to the host, and returns the
# exit code and the output lines so a caller can read test counts from them.
function Invoke-Captured {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $Arguments = @())
    Write-Host "   $FilePath $($Arguments -join ' ')" -ForegroundColor DarkGray
    $lines = New-Object System.Collections.Generic.List[string]
    $ErrorActionPreference = 'Continue'
    & $FilePath @Arguments 2>&1 | ForEach-Object {
        $line = "$_"
        $lines.Add($line)
        Write-Host $line
    }
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Lines = $lines }
}

# The PowerShell running this script, for fresh child sessions (`dotnet pwsh` runs pwsh.dll).
function Get-PwshCommand {
    $process = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    @($process)
}

function Invoke-FreshPwsh {
    param([Parameter(Mandatory)] [string[]] $Arguments, [switch] $Captured)
    $pwsh = @(Get-PwshCommand)
    $all = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments
    if ($Captured) { return Invoke-Captured -FilePath $pwsh[0] -Arguments $all }
    Invoke-Tool -FilePath $pwsh[0] -Arguments $all
}

# The one version number: [workspace.package] version in the root Cargo.toml.
function Get-ProjectVersion {
    $section = $null
    foreach ($line in Get-Content -LiteralPath (Join-Path $Root 'Cargo.toml')) {
        if ($line -match '^\s*\[(.+)\]\s*$') { $section = $Matches[1].Trim(); continue }
        if ($section -eq 'workspace.package' -and $line -match '^\s*version\s*=\s*"([^"]+)"') {
            $version = $Matches[1]
            if ($version -notmatch '^\d+\.\d+\.\d+$') {
                throw "Cargo.toml [workspace.package] version '$version' is not MAJOR.MINOR.PATCH, which PowerShell manifests need."
            }
            return $version
        }
    }
    throw "No version found in Cargo.toml [workspace.package]."
}

function Get-NativeRid {
    $arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) {
        'X64' { 'x64' } 'Arm64' { 'arm64' } default { throw "Unsupported architecture: $_" }
    }
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    "$os-$arch"
}

function Get-NativeFileName {
    if ($IsWindows) { 'photo_update_policy.dll' } elseif ($IsMacOS) { 'libphoto_update_policy.dylib' } else { 'libphoto_update_policy.so' }
}

# The header build.rs generated in the release build must equal the committed one.
function Test-Header {
    if (-not (Test-Path -LiteralPath $CommittedHeader)) {
        throw "The committed header $CommittedHeader is missing: generate it with 'PUP_UPDATE_HEADER=1 cargo build -p photo_update_policy' and commit it."
    }
    $generated = Get-ChildItem -Path (Join-Path $Root 'target/release/build') -Filter 'photo_update_policy.h' -Recurse -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -eq 'out' -and $_.Directory.Parent.Name -like 'photo_update_policy-*' } |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    if (-not $generated) { throw 'cargo build did not generate photo_update_policy.h (build.rs runs cbindgen).' }
    $a = (Get-Content -LiteralPath $generated.FullName -Raw) -replace "`r`n", "`n"
    $b = (Get-Content -LiteralPath $CommittedHeader -Raw) -replace "`r`n", "`n"
    if ($a -ne $b) {
        throw "ffi/include/photo_update_policy.h is out of date with ffi/: regenerate it with 'PUP_UPDATE_HEADER=1 cargo build -p photo_update_policy', review and commit it."
    }
    Write-Host '   header matches the generated one'
}

function Invoke-Build {
    Assert-Command 'cargo' 'Install Rust (https://rustup.rs); offline machines run ../shared/rust-vendor/setup.sh first.'
    Assert-Command 'dotnet' 'Install the .NET SDK 8 or later.'
    $version = Get-ProjectVersion

    Write-Step "cargo build --release (native library and Graph emulator), version $version"
    # Two commands, exactly as tests/c/run.sh release runs them: building both packages in one
    # command unifies their dependencies' features differently and would rebuild them later.
    Invoke-Tool cargo @('build', '--release', '-p', 'photo_update_policy', '--lib')
    Invoke-Tool cargo @('build', '--release', '-p', 'graph_emulator', '--bin', 'graph-emulator')

    Write-Step 'Header check'
    Test-Header

    Write-Step 'dotnet build (net6.0, net472)'
    Invoke-Tool dotnet @('build', $ProjectFile, '-c', 'Release', '--nologo', '-v', 'quiet', "-p:Version=$version")

    Write-Step "Assembling $ModuleDir"
    if (Test-Path -LiteralPath $ModuleDir) { Remove-Item -LiteralPath $ModuleDir -Recurse -Force }
    $rid = Get-NativeRid
    $nativeName = Get-NativeFileName
    $nativeSource = Join-Path $Root "target/release/$nativeName"
    if (-not (Test-Path -LiteralPath $nativeSource)) { throw "The native library $nativeSource was not built." }
    foreach ($tfm in 'net6.0', 'net472') {
        $dll = Join-Path $Root "powershell/PhotoUpdatePolicy/bin/Release/$tfm/PhotoUpdatePolicy.dll"
        if (-not (Test-Path -LiteralPath $dll)) { throw "dotnet build did not produce $dll." }
        $lib = New-Item -ItemType Directory -Force -Path (Join-Path $ModuleDir "lib/$tfm")
        Copy-Item -LiteralPath $dll -Destination $lib
    }
    $nativeDir = New-Item -ItemType Directory -Force -Path (Join-Path $ModuleDir "runtimes/$rid/native")
    Copy-Item -LiteralPath $nativeSource -Destination $nativeDir
    Copy-Item -LiteralPath (Join-Path $ModuleSources 'PhotoUpdatePolicy.format.ps1xml') -Destination $ModuleDir
    $manifest = Get-Content -LiteralPath (Join-Path $ModuleSources 'PhotoUpdatePolicy.psd1') -Raw
    $stamped = $manifest -replace "ModuleVersion(\s*)=(\s*)'[^']*'", "ModuleVersion`$1=`$2'$version'"
    if ($stamped -eq $manifest -and $manifest -notmatch "ModuleVersion\s*=\s*'$([regex]::Escape($version))'") {
        throw 'Could not stamp ModuleVersion into the manifest.'
    }
    Set-Content -LiteralPath (Join-Path $ModuleDir 'PhotoUpdatePolicy.psd1') -Value $stamped -NoNewline -Encoding utf8
    foreach ($file in 'LICENSE', 'README.md') {
        $path = Join-Path $Root $file
        if (Test-Path -LiteralPath $path) { Copy-Item -LiteralPath $path -Destination $ModuleDir }
    }
    $null = Test-ModuleManifest -Path (Join-Path $ModuleDir 'PhotoUpdatePolicy.psd1')

    if (Test-Path -LiteralPath $HelpScript) {
        Write-Step 'Help (MAML and about topics)'
        Invoke-FreshPwsh @('-File', $HelpScript, '-ModuleFolder', $ModuleDir)
    }
    Write-Host "   module ready: $ModuleDir ($rid)"
}

# Sums "test result: ok. N passed; M failed" lines of cargo test.
function Get-CargoCounts([string[]] $Lines) {
    $passed = 0; $failed = 0
    foreach ($line in $Lines) {
        if ($line -match 'test result: \w+\. (\d+) passed; (\d+) failed') {
            $passed += [int]$Matches[1]; $failed += [int]$Matches[2]
        }
    }
    @($passed, $failed)
}

# The static checks, exactly as .github/workflows/build.yml runs them. Returns one result per
# check (Name, ExitCode) so Test can count them; -Task Check throws on the first failed one.
function Invoke-Check([switch] $Collect) {
    $checks = @(
        @{ Name = 'cargo fmt'; File = 'cargo'; Arguments = @('fmt', '--all', '--', '--check') },
        @{ Name = 'cargo clippy'; File = 'cargo'; Arguments = @('clippy', '--workspace', '--all-targets', '--locked', '--', '-D', 'warnings') },
        @{ Name = 'dotnet format (module)'; File = 'dotnet'; Arguments = @('format', $ProjectFile, '--verify-no-changes', '-v', 'q') },
        @{ Name = 'dotnet format (peer tests)'; File = 'dotnet'; Arguments = @('format', (Join-Path $Root 'tests/peer/PeerTests.csproj'), '--verify-no-changes', '-v', 'q') },
        @{ Name = 'dotnet format (net472 tests)'; File = 'dotnet'; Arguments = @('format', (Join-Path $Root 'tests/net472/PhotoUpdatePolicy.Net472Tests.csproj'), '--verify-no-changes', '-v', 'q') }
    )
    foreach ($check in $checks) {
        Write-Step "Check: $($check.Name)"
        if ($Collect) {
            $r = Invoke-Captured $check.File $check.Arguments
            [pscustomobject]@{ Name = $check.Name; ExitCode = $r.ExitCode }
        } else {
            Invoke-Tool $check.File $check.Arguments
        }
    }
}

function Invoke-Test {
    Invoke-Build
    $suites = New-Object System.Collections.Generic.List[object]
    function Add-Suite([string] $Name, [int] $Passed, [int] $Failed, [string] $Note = '') {
        $suites.Add([pscustomobject]@{ Suite = $Name; Passed = $Passed; Failed = $Failed; Note = $Note })
    }
    # A suite whose runner prints one summary line: the last line matching $Pattern (named groups
    # "passed" and "failed") gives the counts; a non-zero exit without failures counts as one.
    function Add-CapturedSuite([string] $Name, $Captured, [string] $Pattern) {
        $passed = 0; $failed = 0
        $line = $Captured.Lines | Where-Object { $_ -match $Pattern } | Select-Object -Last 1
        if ($line -and $line -match $Pattern) { $passed = [int]$Matches['passed']; $failed = [int]$Matches['failed'] }
        if ($Captured.ExitCode -ne 0 -and $failed -eq 0) { $failed = 1 }
        Add-Suite $Name $passed $failed ($(if ($Captured.ExitCode) { "exit $($Captured.ExitCode)" } else { '' }))
    }

    # The workflow's static checks, counted like tests so one finding does not hide the rest.
    foreach ($check in Invoke-Check -Collect) {
        if ($check.ExitCode -eq 0) { Add-Suite $check.Name 1 0 } else { Add-Suite $check.Name 0 1 "exit $($check.ExitCode)" }
    }

    Write-Step 'cargo test --workspace --no-fail-fast'
    # --no-fail-fast: every test binary runs, so the counts are complete even when one fails.
    $cargo = Invoke-Captured cargo @('test', '--workspace', '--no-fail-fast')
    $passed, $failed = Get-CargoCounts $cargo.Lines
    if ($cargo.ExitCode -ne 0 -and $failed -eq 0) { $failed = 1 }  # e.g. a compile error: no counts
    Add-Suite 'cargo test' $passed $failed ($(if ($cargo.ExitCode) { "exit $($cargo.ExitCode)" } else { '' }))

    $cRunner = Join-Path $Root 'tests/c/run.sh'
    if ((Test-Path -LiteralPath $cRunner) -and -not $IsWindows) {
        Write-Step 'C ABI tests (tests/c/run.sh release)'
        $c = Invoke-Captured bash @($cRunner, 'release')
        Add-CapturedSuite 'C ABI' $c '^(?:\w+: )?(?<passed>\d+) passed, (?<failed>\d+) failed'
        # The same checks compiled with AddressSanitizer (leaks included) and
        # UndefinedBehaviorSanitizer: a second or two, the library is already built.
        Write-Step 'C ABI tests under ASan + UBSan (PUP_SANITIZE=1 tests/c/run.sh release)'
        $env:PUP_SANITIZE = '1'; $env:PUP_SKIP_CARGO = '1'
        try {
            $cs = Invoke-Captured bash @($cRunner, 'release')
        } finally {
            Remove-Item Env:PUP_SANITIZE, Env:PUP_SKIP_CARGO -ErrorAction Ignore
        }
        Add-CapturedSuite 'C ABI (ASan+UBSan)' $cs '^(?:\w+: )?(?<passed>\d+) passed, (?<failed>\d+) failed'
    }

    $net472Runner = Join-Path $Root 'tests/net472/Invoke-Net472Tests.ps1'
    if (Test-Path -LiteralPath $net472Runner) {
        # Windows PowerShell 5.1's build (lib/net472) outside PowerShell: its JSON codec, native
        # loading path, UTF-8 marshalling, secrets and certificates, on Mono here (.NET Framework
        # on Windows), against the real native library and the emulator (docs/runtimes.md).
        Write-Step 'net472 build on a .NET Framework runtime (tests/net472)'
        if ($IsWindows -or (Get-Command mono -CommandType Application -ErrorAction SilentlyContinue)) {
            $n = Invoke-FreshPwsh -Captured @('-File', $net472Runner, '-ModuleFolder', $ModuleDir, '-EmulatorPath', $EmulatorPath)
            Add-CapturedSuite 'net472 (Mono)' $n '^net472: (?<passed>\d+) passed, (?<failed>\d+) failed'
        } elseif ($env:CI -eq 'true') {
            Add-Suite 'net472 (Mono)' 0 1 'mono not installed (.ci/run installs it)'
        } else {
            Write-Host '   skipped: mono is not installed (Debian: apt-get install mono-runtime libmono-system-web-extensions4.0-cil libmono-system-core4.0-cil)' -ForegroundColor Yellow
            Add-Suite 'net472 (Mono)' 0 0 'skipped: mono not installed'
        }
    }

    $peerProject = Join-Path $Root 'tests/peer/PeerTests.csproj'
    if (Test-Path -LiteralPath $peerProject) {
        # A real peer: Azure.Identity's ManagedIdentityCredential gets its token from the emulator.
        Write-Step 'Peer client tests (Azure.Identity against the emulator)'
        $env:GRAPH_EMULATOR_BIN = $EmulatorPath
        try {
            $peer = Invoke-Captured dotnet @('test', $peerProject, '--nologo')
        } finally {
            Remove-Item Env:GRAPH_EMULATOR_BIN -ErrorAction Ignore
        }
        Add-CapturedSuite 'peer client' $peer 'Failed:\s*(?<failed>\d+), Passed:\s*(?<passed>\d+)'
    }

    if (Test-Path -LiteralPath $HelpScript) {
        Write-Step 'Help check (markdown, MAML and cmdlets agree)'
        $h = Invoke-FreshPwsh -Captured @('-File', $HelpScript, '-ModuleFolder', $ModuleDir, '-Check')
        if ($h.ExitCode -eq 0) { Add-Suite 'help check' 1 0 } else { Add-Suite 'help check' 0 1 "exit $($h.ExitCode)" }
    }

    Write-Step 'Pester against the assembled module (fresh pwsh)'
    $pester = Get-PesterModule
    $resultDir = New-Item -ItemType Directory -Force -Path (Join-Path $OutDir 'test-results')
    $countsFile = Join-Path $resultDir 'pester-counts.json'
    if (Test-Path -LiteralPath $countsFile) { Remove-Item -LiteralPath $countsFile }
    $p = Invoke-FreshPwsh -Captured @('-File', (Join-Path $Root 'tests/pester/Invoke-PesterTests.ps1'),
        '-PesterModule', $pester, '-ModuleFolder', $ModuleDir, '-EmulatorPath', $EmulatorPath,
        '-CountsFile', $countsFile, '-ResultFile', (Join-Path $resultDir 'pester.xml'))
    if (Test-Path -LiteralPath $countsFile) {
        $pc = Get-Content -LiteralPath $countsFile -Raw | ConvertFrom-Json
        $pf = [int]$pc.Failed
        if ($p.ExitCode -ne 0 -and $pf -eq 0) { $pf = 1 }
        Add-Suite 'Pester' ([int]$pc.Passed) $pf ($(if ([int]$pc.Skipped) { "$($pc.Skipped) skipped" } else { '' }))
    } else {
        Add-Suite 'Pester' 0 1 "did not run to the end (exit $($p.ExitCode))"
    }

    Write-Host ''
    Write-Host ($suites | Format-Table -AutoSize | Out-String).TrimEnd()
    $totalPassed = ($suites | Measure-Object Passed -Sum).Sum
    $totalFailed = ($suites | Measure-Object Failed -Sum).Sum
    Write-Host ''
    Write-Host "$totalPassed passed, $totalFailed failed"
    if ($totalFailed -gt 0) { exit 1 }
}

# Pester 6.2.0 from NuGet (tests/tools/Pester restores it into the package cache).
function Get-PesterModule {
    Invoke-Tool dotnet @('restore', (Join-Path $Root 'tests/tools/Pester/Pester.Restore.csproj'), '--nologo', '-v', 'quiet')
    $packages = $env:NUGET_PACKAGES
    if (-not $packages) {
        $line = & dotnet nuget locals global-packages --list | Select-Object -First 1
        $packages = ($line -replace '^\s*global-packages:\s*', '').Trim()
    }
    $manifest = Join-Path $packages 'pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) { throw "Pester 6.2.0 was restored but $manifest does not exist." }
    $manifest
}

function Invoke-Run {
    Invoke-Build
    $demo = Join-Path $Root 'tests/tools/Show-PhotoUpdatePolicy.ps1'
    $arguments = @('-File', $demo, '-ModuleFolder', $ModuleDir, '-EmulatorPath', $EmulatorPath, '-Environment', $Environment)
    if ($TenantId) { $arguments += @('-TenantId', $TenantId) }
    if ($null -ne $AccessToken) {
        # The token reaches the child through an environment variable, never the command line
        # (which other users of the machine can read).
        $plain = if ($AccessToken -is [securestring]) {
            [System.Net.NetworkCredential]::new('', $AccessToken).Password
        } else { [string]$AccessToken }
        $env:PHOTOPOLICY_DEMO_ACCESS_TOKEN = $plain
        try {
            Write-Step "Get -> Set -> Get -> Reset against the real tenant ($Environment)"
            # Interactive: Set and Reset ask for confirmation, so no -NonInteractive here.
            $pwsh = @(Get-PwshCommand)
            $all = @($pwsh | Select-Object -Skip 1) + @('-NoProfile') + $arguments + @('-RealTenant')
            Invoke-Tool -FilePath $pwsh[0] -Arguments $all
        } finally {
            Remove-Item Env:PHOTOPOLICY_DEMO_ACCESS_TOKEN -ErrorAction SilentlyContinue
        }
        return
    }
    Write-Step 'Get -> Set -> Get -> Reset against the Graph emulator'
    Invoke-FreshPwsh $arguments
}

function Invoke-Bench {
    Invoke-Build
    Write-Step 'Benchmarks (tests/bench/Invoke-Benchmarks.ps1)'
    Invoke-FreshPwsh @('-File', (Join-Path $Root 'tests/bench/Invoke-Benchmarks.ps1'), '-ModuleFolder', $ModuleDir,
        '-EmulatorPath', $EmulatorPath, '-OutDir', (Join-Path $Root 'bench-results'))
}

function Invoke-Clean {
    Write-Step 'Clean'
    foreach ($path in @($OutDir,
            (Join-Path $Root 'powershell/PhotoUpdatePolicy/bin'), (Join-Path $Root 'powershell/PhotoUpdatePolicy/obj'),
            (Join-Path $Root 'tests/tools/Pester/bin'), (Join-Path $Root 'tests/tools/Pester/obj'),
            (Join-Path $Root 'tests/net472/bin'), (Join-Path $Root 'tests/net472/obj'))) {
        if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Recurse -Force; Write-Host "   removed $path" }
    }
    if (Get-Command cargo -ErrorAction SilentlyContinue) {
        Invoke-Tool cargo @('clean', '-p', 'photo_update_policy', '-p', 'photo_policy_core', '-p', 'graph_emulator')
    }
}

$started = [System.Diagnostics.Stopwatch]::StartNew()
Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Check' { Invoke-Check }
        'Test' { Invoke-Test }
        'Run' { Invoke-Run }
        'Bench' { Invoke-Bench }
        'Clean' { Invoke-Clean }
    }
    Write-Host ''
    Write-Host ("{0} finished in {1:mm\:ss}." -f $Task, $started.Elapsed)
} catch {
    Write-Host ''
    Write-Host "build.ps1 -Task ${Task} failed: $($_.Exception.Message)" -ForegroundColor Red
    exit 1
} finally {
    Pop-Location
}
