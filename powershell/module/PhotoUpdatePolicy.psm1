# Root module: loads the assembly built for this edition of PowerShell. A script root module is
# the simplest way to pick between lib/net8.0 (PowerShell 7.4+, .NET 8+) and lib/net472 (Windows
# PowerShell 5.1) from one manifest; the binary module does the rest (its IModuleAssemblyInitializer
# loads the native library from runtimes/<rid>/native/ and checks its ABI version, so a broken
# install fails right here, at Import-Module).
if ($PSEdition -eq 'Core') {
    # Integer comparisons: a [version]'7.4' cast is the session's first string conversion, which
    # costs about 20 ms of Import-Module (docs/performance.md).
    $running = $PSVersionTable.PSVersion
    if ($running.Major -lt 7 -or ($running.Major -eq 7 -and $running.Minor -lt 4)) {
        throw "PhotoUpdatePolicy needs PowerShell 7.4 or later (running $($PSVersionTable.PSVersion)), or Windows PowerShell 5.1."
    }
    $framework = 'net8.0'
} else {
    $framework = 'net472'
}

# Import cost (docs/performance.md): a plain string path, not Join-Path (the first Join-Path of a
# session initialises the provider machinery) nor [System.IO.Path]::Combine (the first .NET method
# call binds slowly); '/' works on Windows too. The ErrorAction is an enum value, not the string
# 'Stop' (the first string-to-enum parameter conversion costs tens of milliseconds).
$binaryModule = Import-Module -Name "$PSScriptRoot/lib/$framework/PhotoUpdatePolicy.dll" -PassThru -ErrorAction ([System.Management.Automation.ActionPreference]::Stop)

# Removing this module removes the binary module too.
$ExecutionContext.SessionState.Module.OnRemove = { Remove-Module -ModuleInfo $binaryModule -ErrorAction SilentlyContinue }.GetNewClosure()

# No Export-ModuleMember: the manifest's explicit CmdletsToExport already decides what is exported,
# and the cmdlet (its first use in a session) added about 40 ms to Import-Module.
