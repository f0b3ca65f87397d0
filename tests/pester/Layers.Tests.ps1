# The C# shim's layers, read from its sources: cmdlets (Commands/) hold parameters, ShouldProcess
# and output only. Every P/Invoke, pin, native handle and JSON read lives below them, in the typed
# native client (Internal/NativeClient.cs and its helpers) and Native/.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:CommandsDir = Join-Path $script:RepoRoot 'powershell/PhotoUpdatePolicy/Commands'

    # What a cmdlet must not name: the native layer (imports, UTF-8 marshalling, handles, pins) and
    # the JSON layer. Matched on code with comments and strings removed.
    $script:Forbidden = [ordered]@{
        'the P/Invoke declarations (NativeMethods)'      = '\bNativeMethods\b'
        'a pup_* export'                                 = '\bpup_\w+'
        'UTF-8 marshalling (Utf8)'                       = '\bUtf8\b'
        'a native handle type'                           = '\b(ClientHandle|ResultHandle|ErrorHandle|CallContextHandle|SafeHandle)\b'
        'a JSON tree or codec (JsonTree, JsonCodec)'     = '\b(JsonTree|JsonCodec|IJsonCodec)\b'
        'unsafe code or a pin'                           = '\bunsafe\b|\bfixed\s*\('
        'the native or JSON namespace'                   = '\bPhotoUpdatePolicy\.(Native|Json)\b'
        'a raw pointer or IntPtr'                        = '\bIntPtr\b|\bUIntPtr\b|\bbyte\s*\*'
    }

    # Findings of `$Rules` (what -> pattern) in one C# source text, one per matching line and
    # rule: "<file>:<line>: <what> (<text>)". Comments and string literals may mention anything;
    # only code counts (a block comment keeps its line breaks, so line numbers stay right).
    function Find-InCode {
        param([string] $Text, [string] $File, [System.Collections.IDictionary] $Rules)
        $code = [regex]::Replace($Text, '/\*.*?\*/', { param($m) [regex]::Replace($m.Value, '[^\n]', ' ') }, 'Singleline')
        $code = [regex]::Replace($code, '//[^\n]*', '')
        $code = [regex]::Replace($code, '@?\$?"(?:[^"\\\n]|\\.|"")*"', '""')
        $lines = $code -split "`n"
        for ($i = 0; $i -lt $lines.Count; $i++) {
            foreach ($rule in $Rules.GetEnumerator()) {
                if ($lines[$i] -match $rule.Value) {
                    '{0}:{1}: {2} ({3})' -f $File, ($i + 1), $rule.Key, $Matches[0]
                }
            }
        }
    }

    # A cmdlet source's references to the layers below it.
    function Find-LayerViolation {
        param([string] $Text, [string] $File)
        Find-InCode -Text $Text -File $File -Rules $script:Forbidden
    }
}

Describe 'Cmdlets never reach into the native layer' {
    It 'finds the cmdlet sources' {
        @(Get-ChildItem -LiteralPath $script:CommandsDir -Filter '*.cs').Count | Should -BeGreaterOrEqual 10
    }

    It 'no file under Commands/ names NativeMethods, a pup_ export, Utf8, a handle, a pin or the JSON tree' {
        $findings = foreach ($file in Get-ChildItem -LiteralPath $script:CommandsDir -Filter '*.cs') {
            Find-LayerViolation -Text (Get-Content -LiteralPath $file.FullName -Raw) -File $file.Name
        }
        @($findings) -join "`n" | Should -BeNullOrEmpty
    }

    It 'the scan catches each reintroduced reference: <Code>' -ForEach @(
        @{ Code = 'uint s = NativeMethods.pup_policy_get(client, ctx, out r, out e);' }
        @{ Code = 'using PhotoUpdatePolicy.Native;' }
        @{ Code = 'byte[] b = Utf8.Encode(json);' }
        @{ Code = 'using ClientHandle? client = TryCreateClient();' }
        @{ Code = 'string? s = JsonTree.String(plan, "description");' }
        @{ Code = 'fixed (byte* p = change) { }' }
        @{ Code = 'object? tree = JsonCodec.Instance.Parse(text);' }
    ) {
        @(Find-LayerViolation -Text "class X {`n    void M() { $Code }`n}" -File 'X.cs').Count | Should -BeGreaterThan 0
    }

    It 'ignores the names in comments and strings' {
        $text = "// NativeMethods.pup_policy_get`n/* JsonTree */`nstring s = `"Utf8 ClientHandle`";"
        @(Find-LayerViolation -Text $text -File 'X.cs').Count | Should -Be 0
    }
}

Describe 'The module never exports a private key' {
    # Certificate sign-in asks the key to sign where it lives (CertificateSigner); keys in a store
    # may be non-exportable (machine store, TPM, smart card, HSM), so no code path may export one.
    BeforeAll {
        $script:ExportCalls = [ordered]@{
            'ExportParameters(true)'                    = '\bExportParameters\s*\(\s*(true|includePrivateParameters\s*:\s*true)\s*\)'
            'a PKCS#8 export'                           = '\b(Try)?Export(Encrypted)?Pkcs8PrivateKey(Pem)?\b'
            'a PKCS#1 export'                           = '\b(Try)?ExportRSAPrivateKey(Pem)?\b'
            'a CryptoAPI key blob export'               = '\bExportCspBlob\b'
            'a CNG key export'                          = '\bCngKeyBlobFormat\.\w*Private|\bExport\s*\(\s*CngKeyBlobFormat'
            'a certificate exported with its key (PFX)' = '\bX509ContentType\.(Pfx|Pkcs12)\b'
            'an exportable key storage flag'            = '\bX509KeyStorageFlags\.Exportable\b'
        }

        # A source's calls that export a private key.
        function Find-PrivateKeyExport {
            param([string] $Text, [string] $File)
            Find-InCode -Text $Text -File $File -Rules $script:ExportCalls
        }
    }

    It 'no C# source under powershell/ exports a private key or loads one exportable' {
        $sources = @(Get-ChildItem -LiteralPath (Join-Path $script:RepoRoot 'powershell') -Filter '*.cs' -Recurse |
                Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' })
        $sources.Count | Should -BeGreaterOrEqual 30
        $findings = foreach ($file in $sources) {
            Find-PrivateKeyExport -Text (Get-Content -LiteralPath $file.FullName -Raw) -File $file.Name
        }
        @($findings) -join "`n" | Should -BeNullOrEmpty
    }

    It 'the scan catches each reintroduced export: <Code>' -ForEach @(
        @{ Code = 'RSAParameters p = rsa.ExportParameters(includePrivateParameters: true);' }
        @{ Code = 'RSAParameters p = rsa.ExportParameters(true);' }
        @{ Code = 'return rsa.ExportPkcs8PrivateKey();' }
        @{ Code = 'byte[] k = rsa.ExportRSAPrivateKey();' }
        @{ Code = 'byte[] blob = ((RSACryptoServiceProvider)rsa).ExportCspBlob(true);' }
        @{ Code = 'byte[] blob = cng.Key.Export(CngKeyBlobFormat.Pkcs8PrivateBlob);' }
        @{ Code = 'byte[] pfx = certificate.Export(X509ContentType.Pfx, password);' }
        @{ Code = 'var c = new X509Certificate2(bytes, password, X509KeyStorageFlags.Exportable);' }
    ) {
        @(Find-PrivateKeyExport -Text "class X {`n    void M() { $Code }`n}" -File 'X.cs').Count | Should -BeGreaterThan 0
    }
}
