# The module as installed: manifest, import from anywhere, native loading, ABI check, and the
# P/Invoke declarations against the generated C header and the library's exports.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Assembly = [PhotoUpdatePolicy.Policy].Assembly
    $script:NativeMethods = $script:Assembly.GetType('PhotoUpdatePolicy.Native.NativeMethods', $true)
    $script:Loader = $script:Assembly.GetType('PhotoUpdatePolicy.Native.NativeLibraryLoader', $true)
    $script:HeaderPath = Join-Path $script:RepoRoot 'ffi/include/photo_update_policy.h'
    $script:LoadedNative = $script:Loader.GetProperty('LoadedPath', [System.Reflection.BindingFlags]'Static,NonPublic').GetValue($null)

    # Functions of the generated header: name, return kind, parameter kinds (pointer/integer).
    function Get-HeaderFunction {
        $text = Get-Content -LiteralPath $script:HeaderPath -Raw
        $text = [regex]::Replace($text, '/\*.*?\*/', '', 'Singleline')
        $text = [regex]::Replace($text, '//[^\n]*', '')
        $functionPointerTypes = @([regex]::Matches($text, 'typedef\s+\w+\s*\(\s*\*\s*(\w+)\s*\)') | ForEach-Object { $_.Groups[1].Value })
        $kind = {
            param([string] $decl)
            $decl = $decl.Trim()
            if ($decl -eq 'void') { return 'void' }
            if ($decl.Contains('*')) { return 'pointer' }
            foreach ($fp in $functionPointerTypes) { if ($decl -match "\b$fp\b") { return 'pointer' } }
            'integer'
        }
        foreach ($m in [regex]::Matches($text, '(?m)^\s*([A-Za-z_][\w\s\*]*?)\s*\b(pup_\w+)\s*\(([^)]*)\)\s*;')) {
            $params = $m.Groups[3].Value.Trim()
            # [string[]]: a pipeline's output would unroll a one-element array to a string.
            [string[]] $kinds = @()
            if ($params -ne 'void' -and $params -ne '') { $kinds = @($params -split ',' | ForEach-Object { & $kind $_ }) }
            [pscustomobject]@{ Name = $m.Groups[2].Value; Return = (& $kind $m.Groups[1].Value); Parameters = $kinds }
        }
    }

    function Get-ManagedKind([type] $type) {
        if ($type -eq [void]) { return 'void' }
        if ($type.IsByRef -or $type.IsPointer -or $type -eq [IntPtr] -or [System.Runtime.InteropServices.SafeHandle].IsAssignableFrom($type) -or [Delegate].IsAssignableFrom($type)) { return 'pointer' }
        'integer'   # uint, ushort, long and UIntPtr (size_t)
    }

    $script:Imports = @($script:NativeMethods.GetMethods([System.Reflection.BindingFlags]'Static,NonPublic,Public') |
            Where-Object { $_.Attributes -band [System.Reflection.MethodAttributes]::PinvokeImpl })
    $script:Header = @(Get-HeaderFunction)
}

Describe 'Module manifest and import' {
    It 'exports exactly the cmdlets of the module, with the Cargo version' {
        $module = Get-Module PhotoUpdatePolicy
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @(
            'Connect-PhotoUpdatePolicy', 'Disconnect-PhotoUpdatePolicy', 'Export-PhotoUpdatePolicy', 'Get-PhotoUpdateAccess',
            'Get-PhotoUpdatePolicy', 'Get-PhotoUpdatePolicyConnection', 'Get-PhotoUpdatePolicyRole', 'Import-PhotoUpdatePolicy',
            'Reset-PhotoUpdatePolicy', 'Set-PhotoUpdatePolicy', 'Test-PhotoUpdateAccess', 'Test-PhotoUpdatePolicy')
        $cargo = Get-Content (Join-Path $script:RepoRoot 'Cargo.toml') -Raw
        $version = [regex]::Match($cargo, '(?ms)^\[workspace\.package\].*?^version\s*=\s*"([^"]+)"').Groups[1].Value
        $module.Version.ToString() | Should -Be $version
        $script:Assembly.GetName().Version.ToString(3) | Should -Be $version
    }

    It 'declares both editions, loads net6.0 on PowerShell 7.2+ and net472 on 5.1, and no wildcard exports' {
        . (Join-Path $PSScriptRoot '../../tools/Read-ModuleManifest.ps1')
        $core = Read-ModuleManifest -Path $script:Manifest -Edition Core
        $desktop = Read-ModuleManifest -Path $script:Manifest -Edition Desktop
        $core.CompatiblePSEditions | Should -Be @('Core', 'Desktop')
        $core.RootModule | Should -Be 'lib/net6.0/PhotoUpdatePolicy.dll'
        $core.PowerShellVersion | Should -Be '7.2'
        $desktop.RootModule | Should -Be 'lib/net472/PhotoUpdatePolicy.dll'
        $desktop.PowerShellVersion | Should -Be '5.1'
        foreach ($data in $core, $desktop) {
            Test-Path (Join-Path $script:ModuleFolder $data.RootModule) | Should -BeTrue
            foreach ($key in 'CmdletsToExport', 'FunctionsToExport', 'AliasesToExport', 'VariablesToExport') {
                @($data[$key]) -join ',' | Should -Not -Match '\*'
            }
        }
        # What this session loaded: the binary module itself, no script wrapper.
        $loaded = Get-Module PhotoUpdatePolicy
        $loaded.ModuleType | Should -Be 'Binary'
        if ($PSEdition -eq 'Core') {
            $loaded.PowerShellVersion | Should -Be ([version]'7.2')
            $script:Assembly.Location | Should -BeLike (Join-Path $script:ModuleFolder (Join-Path 'lib' (Join-Path 'net6.0' '*')))
        } else {
            $loaded.PowerShellVersion | Should -Be ([version]'5.1')
            $script:Assembly.Location | Should -BeLike (Join-Path $script:ModuleFolder (Join-Path 'lib' (Join-Path 'net472' '*')))
        }
    }

    It 'builds the PowerShell 7 assembly for .NET 6, so PowerShell 7.2 (Azure Automation) loads it' {
        # PowerShell 7.2 runs on .NET 6: an assembly that targets or references anything newer
        # fails there with "Could not load file or assembly System.Runtime, Version=8.0.0.0".
        $dll = Join-Path $script:ModuleFolder 'lib/net6.0/PhotoUpdatePolicy.dll'
        $bytes = [System.IO.File]::ReadAllBytes($dll)
        $text = [System.Text.Encoding]::UTF8.GetString($bytes)
        $text | Should -Match '\.NETCoreApp,Version=v6\.0'
        if ($PSEdition -eq 'Core') {
            $framework = $script:Assembly.GetCustomAttributes([System.Runtime.Versioning.TargetFrameworkAttribute], $false)
            $framework.FrameworkName | Should -Be '.NETCoreApp,Version=v6.0'
            $newer = @($script:Assembly.GetReferencedAssemblies() | Where-Object {
                    ($_.Name -like 'System*' -or $_.Name -like 'Microsoft*' -or $_.Name -eq 'netstandard') -and
                    $_.Name -ne 'System.Management.Automation' -and $_.Version -gt [version]'6.0.0.0' })
            ($newer | ForEach-Object { "$($_.Name) $($_.Version)" }) -join ', ' | Should -BeNullOrEmpty
            # PowerShellStandard.Library's reference (3.0.0.0): every PowerShell 7 binds it to its own.
            ($script:Assembly.GetReferencedAssemblies() | Where-Object Name -eq 'System.Management.Automation').Version | Should -BeLessOrEqual ([version]'7.2.0.0')
        }
    }

    It 'ships both assemblies and the native library under runtimes/<rid>/native, and no third-party DLLs' {
        Test-Path (Join-Path $script:ModuleFolder 'lib/net6.0/PhotoUpdatePolicy.dll') | Should -BeTrue
        Test-Path (Join-Path $script:ModuleFolder 'lib/net8.0') | Should -BeFalse
        Test-Path (Join-Path $script:ModuleFolder 'lib/net472/PhotoUpdatePolicy.dll') | Should -BeTrue
        @(Get-ChildItem (Join-Path $script:ModuleFolder 'runtimes/*/native/*')).Count | Should -BeGreaterThan 0
        @(Get-ChildItem $script:ModuleFolder -Recurse -Filter '*.dll' | Where-Object Name -notin 'PhotoUpdatePolicy.dll', 'photo_update_policy.dll').Name | Should -BeNullOrEmpty
    }

    It 'imports from another current directory and a path with spaces, in a fresh process' {
        $copy = Join-Path $TestDrive 'my modules/PhotoUpdatePolicy'
        New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
        Copy-Item -LiteralPath $script:ModuleFolder -Destination $copy -Recurse
        $elsewhere = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'elsewhere') -Force
        $pwsh = @(Get-PwshCommand)
        $command = "Set-Location '$($elsewhere.FullName)'; Import-Module '$copy/PhotoUpdatePolicy.psd1' -ErrorAction Stop; (Get-PhotoUpdatePolicyRole -Name 'People Administrator').Id"
        $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $command 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        ($output | Select-Object -Last 1) | Should -Be $script:Roles.People
    }

    It 'fails at Import-Module, naming the path, when the native library is missing' {
        $copy = Join-Path $TestDrive 'broken/PhotoUpdatePolicy'
        New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
        Copy-Item -LiteralPath $script:ModuleFolder -Destination $copy -Recurse
        Remove-Item (Join-Path $copy 'runtimes') -Recurse -Force
        $pwsh = @(Get-PwshCommand)
        $command = "try { Import-Module '$copy/PhotoUpdatePolicy.psd1' -ErrorAction Stop; 'IMPORTED' } catch { 'FAILED: ' + `$_.Exception.Message }"
        $output = (& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $command 2>&1) -join "`n"
        $output | Should -Match 'FAILED: .*native library not found at .*runtimes.*reinstall the module'
        $output | Should -Match 'module folder is incomplete'
        $output | Should -Not -Match 'not supported by this build'
        $output | Should -Not -Match 'IMPORTED'
    }

    It 'says this platform is not supported by this build, naming the platforms it carries, when only other platforms are there' {
        # An x64-only package on an ARM64 machine, say: reinstalling the same package cannot help.
        $copy = Join-Path $TestDrive 'otherplatform/PhotoUpdatePolicy'
        New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
        Copy-Item -LiteralPath $script:ModuleFolder -Destination $copy -Recurse
        $rid = Split-Path (Split-Path (Split-Path $script:LoadedNative)) -Leaf
        $other = @('win-x64', 'linux-x64', 'osx-arm64') | Where-Object { $_ -ne $rid } | Select-Object -First 1
        Get-ChildItem (Join-Path $copy 'runtimes') -Directory | Where-Object Name -ne $rid | Remove-Item -Recurse -Force
        Rename-Item -LiteralPath (Join-Path $copy "runtimes/$rid") -NewName $other
        $pwsh = @(Get-PwshCommand)
        $command = "try { Import-Module '$copy/PhotoUpdatePolicy.psd1' -ErrorAction Stop; 'IMPORTED' } catch { 'FAILED: ' + `$_.Exception.Message }"
        $output = (& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $command 2>&1) -join "`n"
        $output | Should -Match ([regex]::Escape("FAILED: PhotoUpdatePolicy: this platform ($rid) is not supported by this build (found: $other)."))
        $output | Should -Match ([regex]::Escape("Install a build of the module that includes $rid"))
        $output | Should -Not -Match 'reinstall'
        $output | Should -Not -Match 'IMPORTED'
    }

    It 'says the module folder is incomplete when this platform''s folder is there without its library' {
        $copy = Join-Path $TestDrive 'nolibrary/PhotoUpdatePolicy'
        New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
        Copy-Item -LiteralPath $script:ModuleFolder -Destination $copy -Recurse
        $rid = Split-Path (Split-Path (Split-Path $script:LoadedNative)) -Leaf
        $other = @('win-x64', 'linux-x64', 'osx-arm64') | Where-Object { $_ -ne $rid } | Select-Object -First 1
        # Another platform's library is present, this platform's folder is empty.
        New-Item -ItemType Directory -Force -Path (Join-Path $copy "runtimes/$other/native") | Out-Null
        Copy-Item -LiteralPath $script:LoadedNative -Destination (Join-Path $copy "runtimes/$other/native/")
        Get-ChildItem (Join-Path $copy "runtimes/$rid/native") -File | Remove-Item -Force
        $pwsh = @(Get-PwshCommand)
        $command = "try { Import-Module '$copy/PhotoUpdatePolicy.psd1' -ErrorAction Stop; 'IMPORTED' } catch { 'FAILED: ' + `$_.Exception.Message }"
        $output = (& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $command 2>&1) -join "`n"
        $output | Should -Match "FAILED: .*native library not found at .*$([regex]::Escape($rid)).*module folder is incomplete: reinstall the module"
        $output | Should -Not -Match 'not supported by this build'
        $output | Should -Not -Match 'IMPORTED'
    }
}

Describe 'Native library and ABI' {
    It 'loaded the library from the module folder' {
        $path = $script:Loader.GetProperty('LoadedPath', [System.Reflection.BindingFlags]'Static,NonPublic').GetValue($null)
        $path | Should -BeLike (Join-Path $script:ModuleFolder 'runtimes*')
    }

    It 'refuses a library with another ABI version, with the reinstall message' {
        $check = $script:Loader.GetMethod('CheckAbiVersion', [System.Reflection.BindingFlags]'Static,NonPublic')
        $err = { $check.Invoke($null, @([uint32]1, [uint32]2)) } | Should -Throw -PassThru
        $err.Exception.InnerException.Message | Should -Be 'PhotoUpdatePolicy native library ABI version 1, module expects 2: reinstall the module.'
        { $check.Invoke($null, @([uint32]1, [uint32]1)) } | Should -Not -Throw
    }

    It 'expects the ABI version the header defines' {
        $header = Get-Content -LiteralPath $script:HeaderPath -Raw
        $defined = [regex]::Match($header, '#define PUP_ABI_VERSION (\d+)').Groups[1].Value
        $expected = $script:NativeMethods.GetField('ExpectedAbiVersion', [System.Reflection.BindingFlags]'Static,NonPublic').GetValue($null)
        "$expected" | Should -Be $defined
    }

    It 'PhotoPolicyStatus has exactly the header''s PUP_STATUS_* names and values' {
        $header = Get-Content -LiteralPath $script:HeaderPath -Raw
        $fromHeader = @{}
        foreach ($m in [regex]::Matches($header, '\bPUP_STATUS_(\w+)\s*=\s*(\d+)')) {
            # PUP_STATUS_VALIDATION_FAILED -> ValidationFailed
            $name = -join ($m.Groups[1].Value.ToLowerInvariant() -split '_' | ForEach-Object { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) })
            $fromHeader[$name] = [uint32]$m.Groups[2].Value
        }
        $fromHeader.Count | Should -BeGreaterOrEqual 20
        $managed = @{}
        foreach ($name in [enum]::GetNames([PhotoUpdatePolicy.PhotoPolicyStatus])) {
            $managed[$name] = [uint32][PhotoUpdatePolicy.PhotoPolicyStatus]::$name
        }
        @($managed.Keys | Sort-Object) | Should -Be @($fromHeader.Keys | Sort-Object)
        foreach ($name in $fromHeader.Keys) { $managed[$name] | Should -Be $fromHeader[$name] -Because $name }
    }

    It 'declares the header''s <Header> enum as <Managed>, value for value' -ForEach @(
        @{ Header = 'PupStatus'; Prefix = 'PUP_STATUS_'; Managed = 'PhotoUpdatePolicy.PhotoPolicyStatus' }
        @{ Header = 'PupEventLevel'; Prefix = 'PUP_EVENT_LEVEL_'; Managed = 'PhotoUpdatePolicy.Native.PupEventLevel' }
    ) {
        $text = Get-Content -LiteralPath $script:HeaderPath -Raw
        $body = [regex]::Match($text, "(?s)enum $Header\b[^{]*\{(.*?)\};").Groups[1].Value
        $body = [regex]::Replace($body, '/\*.*?\*/', '', 'Singleline')
        $declared = [ordered]@{}
        foreach ($m in [regex]::Matches($body, "\b$Prefix(\w+)\s*=\s*(\d+)")) {
            # PUP_STATUS_SERVICE_UNAVAILABLE -> ServiceUnavailable; UTF8 stays Utf8.
            $name = -join ($m.Groups[1].Value.ToLowerInvariant() -split '_' | ForEach-Object { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) })
            $declared[$name] = [uint32]$m.Groups[2].Value
        }
        $declared.Count | Should -BeGreaterThan 3 -Because "the header declares enum $Header"
        $type = $script:Assembly.GetType($Managed, $true)
        $managed = [ordered]@{}
        foreach ($name in [Enum]::GetNames($type)) { $managed[$name] = [uint32][Enum]::Parse($type, $name) }
        ($managed.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ', ' |
            Should -Be (($declared.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ', ')
    }

    It 'declares the header''s PupSignatureAlgorithm enum as PupSignatureAlgorithm, value for value' {
        $text = Get-Content -LiteralPath $script:HeaderPath -Raw
        $body = [regex]::Match($text, '(?s)enum PupSignatureAlgorithm\b[^{]*\{(.*?)\};').Groups[1].Value
        $body = [regex]::Replace($body, '/\*.*?\*/', '', 'Singleline')
        $declared = @{}
        foreach ($m in [regex]::Matches($body, '\bPUP_SIGNATURE_ALGORITHM_(\w+)\s*=\s*(\d+)')) {
            # PUP_SIGNATURE_ALGORITHM_RS256 -> Rs256
            $name = $m.Groups[1].Value.Substring(0, 1) + $m.Groups[1].Value.Substring(1).ToLowerInvariant()
            $declared[$name] = [uint32]$m.Groups[2].Value
        }
        $declared.Count | Should -Be 2 -Because 'the header declares RS256 and PS256'
        $type = $script:Assembly.GetType('PhotoUpdatePolicy.Native.PupSignatureAlgorithm', $true)
        $managed = @{}
        foreach ($name in [Enum]::GetNames($type)) { $managed[$name] = [uint32][Enum]::Parse($type, $name) }
        @($managed.Keys | Sort-Object) | Should -Be @($declared.Keys | Sort-Object)
        foreach ($name in $declared.Keys) { $managed[$name] | Should -Be $declared[$name] -Because $name }
    }

    It 'parses a plausible number of functions from the header' {
        $script:Header.Count | Should -BeGreaterOrEqual 26
        $script:Imports.Count | Should -BeGreaterOrEqual 26
    }

    It '<_> is exported by the native library and matches the header' -ForEach @(
        [PhotoUpdatePolicy.Policy].Assembly.GetType('PhotoUpdatePolicy.Native.NativeMethods', $true).GetMethods([System.Reflection.BindingFlags]'Static,NonPublic,Public') |
            Where-Object { $_.Attributes -band [System.Reflection.MethodAttributes]::PinvokeImpl } | ForEach-Object Name
    ) {
        $name = $_
        $method = $script:Imports | Where-Object Name -eq $name
        $path = $script:Loader.GetProperty('LoadedPath', [System.Reflection.BindingFlags]'Static,NonPublic').GetValue($null)
        $handle = [System.Runtime.InteropServices.NativeLibrary]::Load($path)
        $address = [IntPtr]::Zero
        [System.Runtime.InteropServices.NativeLibrary]::TryGetExport($handle, $name, [ref]$address) | Should -BeTrue -Because "$name must be exported"

        $declared = $script:Header | Where-Object Name -eq $name
        $declared | Should -Not -BeNullOrEmpty -Because "$name must be in photo_update_policy.h"
        Get-ManagedKind $method.ReturnType | Should -Be $declared.Return -Because "return of $name"
        $managed = @($method.GetParameters() | ForEach-Object { Get-ManagedKind $_.ParameterType })
        $managed.Count | Should -Be @($declared.Parameters).Count -Because "parameter count of $name"
        for ($i = 0; $i -lt $managed.Count; $i++) {
            $managed[$i] | Should -Be $declared.Parameters[$i] -Because "parameter $i of $name"
        }
        $dllImport = @($method.GetCustomAttributes([System.Runtime.InteropServices.DllImportAttribute], $false))[0]
        $dllImport.Value | Should -Be 'photo_update_policy'
        $dllImport.CallingConvention | Should -Be ([System.Runtime.InteropServices.CallingConvention]::Cdecl)
    }
}
