<#
.SYNOPSIS
Runs the net472 build's own code (tests/net472) on a .NET Framework-compatible runtime: Mono on
Linux and macOS, the .NET Framework on Windows.

.DESCRIPTION
Builds the test program against the assembled module's lib/net472/PhotoUpdatePolicy.dll, stages
a copy of the module folder with the program beside that assembly (so the assembly finds its
module root and native library exactly as when Windows PowerShell imports it), and runs it (the
tests start the Graph emulator themselves). On Mono the
native library is found through LD_LIBRARY_PATH (DYLD_LIBRARY_PATH on macOS) pointing at the staged
runtimes/<rid>/native folder, standing in for the Windows-only LoadLibrary preload; a test checks
the library mapped into the process is that file.

The program prints "net472: N passed, N failed" last; the exit code is 0 only when every test
passed. Mono on Debian: apt-get install mono-runtime libmono-system-web-extensions4.0-cil
libmono-system-core4.0-cil (.ci/run installs them when missing).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    # Where the staged copy goes.
    [string] $WorkFolder = (Join-Path $PSScriptRoot '../../out/net472-tests'),
    # Runs only tests whose "Class.Method" contains one of these.
    [string[]] $Filter = @()
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$ModuleFolder = (Resolve-Path -LiteralPath $ModuleFolder).ProviderPath
$EmulatorPath = (Resolve-Path -LiteralPath $EmulatorPath).ProviderPath
$project = Join-Path $PSScriptRoot 'PhotoUpdatePolicy.Net472Tests.csproj'
$onWindows = [System.Runtime.InteropServices.RuntimeInformation]::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::Windows)

$mono = $null
if (-not $onWindows) {
    $mono = Get-Command mono -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $mono) {
        throw 'mono was not found: install it (Debian: apt-get install mono-runtime libmono-system-web-extensions4.0-cil libmono-system-core4.0-cil).'
    }
}

& dotnet build $project -c Release --nologo -v quiet "-p:ModuleFolder=$ModuleFolder"
if ($LASTEXITCODE -ne 0) { throw "dotnet build $project failed (exit $LASTEXITCODE)." }
$testOutput = Join-Path $PSScriptRoot 'bin/Release/net472'

# A copy of the module folder with the tests in lib/net472, beside the module's own assembly.
if (Test-Path -LiteralPath $WorkFolder) { Remove-Item -LiteralPath $WorkFolder -Recurse -Force }
$staged = Join-Path $WorkFolder 'PhotoUpdatePolicy'
New-Item -ItemType Directory -Force -Path $WorkFolder | Out-Null
Copy-Item -LiteralPath $ModuleFolder -Destination $staged -Recurse
$lib = Join-Path $staged 'lib/net472'
Get-ChildItem -LiteralPath $testOutput -File | Where-Object Name -ne 'PhotoUpdatePolicy.dll' |
    Copy-Item -Destination $lib
$program = Join-Path $lib 'PhotoUpdatePolicy.Net472Tests.exe'

$saved = @{}
foreach ($name in 'GRAPH_EMULATOR_BIN', 'LD_LIBRARY_PATH', 'DYLD_LIBRARY_PATH') { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
try {
    $env:GRAPH_EMULATOR_BIN = $EmulatorPath
    if (-not $onWindows) {
        $rid = @(Get-ChildItem (Join-Path $staged 'runtimes') -Directory)[0].Name
        $native = Join-Path $staged "runtimes/$rid/native"
        if ($IsMacOS) { $env:DYLD_LIBRARY_PATH = $native } else { $env:LD_LIBRARY_PATH = $native }
        & $mono.Source --debug $program @Filter
    } else {
        & $program @Filter
    }
    $exit = $LASTEXITCODE
} finally {
    foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
}
exit $exit
