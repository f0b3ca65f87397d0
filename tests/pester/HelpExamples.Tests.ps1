# Every example in docs/help/*.md runs against the Graph emulator and prints exactly what its
# ```output block shows (nothing, when it has none). An example that cannot run here (a browser, a
# managed identity, another module, a prompt) says so in its markdown with a reason:
#     <!-- not run: signs in with the managed identity of an Azure resource -->
# and is reported as skipped with that reason, never left out silently.
#
# The examples run in one child PowerShell (HelpExamples.Runner.ps1 describes the seeded world each
# one starts from), so the output is what a console shows: formatted by the module's format file,
# with warnings and -WhatIf lines. Compared after trimming line ends and leading/trailing blank
# lines, and with runs of blank lines counted as one. Placeholders in a shown output, for values
# that change from run to run, are few and explicit:
#     <guid>      any GUID
#     <datetime>  a date and time as en-US prints it (11/29/2026 10:02:55 AM), or in a file name
#                 (yyyyMMdd-HHmm, yyyyMMddTHHmmssZ)
#     <path>      a file path (the example's working folder differs at each run)
BeforeDiscovery {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
    Import-Module (Join-Path $repo 'tools/help/HelpMarkdown.psm1') -Force
    $examples = @(foreach ($file in (Get-ChildItem -LiteralPath (Join-Path $repo 'docs/help') -Filter '*.md' | Sort-Object Name)) {
            $help = Read-HelpMarkdown -Path $file.FullName
            foreach ($e in $help.Examples) {
                @{ Id = "$($help.Name): $($e.Title)"; Cmdlet = $help.Name; Title = $e.Title; NotRun = $e.NotRun }
            }
        })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    Import-Module (Join-Path $script:RepoRoot 'tools/help/HelpMarkdown.psm1') -Force

    # Expected output as a regex: literal text, the placeholders, whitespace normalised.
    function ConvertTo-Normalised([string] $Text) {
        $lines = @(($Text -replace "`r`n", "`n") -split "`n" | ForEach-Object { $_.TrimEnd() })
        $out = New-Object System.Collections.Generic.List[string]
        foreach ($l in $lines) { if ($l -eq '' -and ($out.Count -eq 0 -or $out[$out.Count - 1] -eq '')) { continue }; $out.Add($l) }
        while ($out.Count -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }
        $out -join "`n"
    }
    function ConvertTo-OutputPattern([string] $Expected) {
        $escaped = [regex]::Escape((ConvertTo-Normalised $Expected))
        $escaped = $escaped.Replace('<guid>', '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')
        $escaped = $escaped.Replace('<datetime>', '(\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(:\d{2})?( [AP]M)?|\d{8}-\d{4,6}|\d{8}T\d{6}Z)')
        $escaped = $escaped.Replace('<path>', '\S+')
        '\A' + $escaped + '\z'
    }

    $helps = @(Get-ChildItem -LiteralPath (Join-Path $script:RepoRoot 'docs/help') -Filter '*.md' | Sort-Object Name |
            ForEach-Object { Read-HelpMarkdown -Path $_.FullName })
    $script:Shown = @{}
    $toRun = foreach ($h in $helps) {
        foreach ($e in $h.Examples) {
            $id = "$($h.Name): $($e.Title)"
            $script:Shown[$id] = $e.Output
            if (-not $e.NotRun) { [pscustomobject]@{ Id = $id; Script = $e.Script } }
        }
    }

    # The shown output is PowerShell 7's console; Windows PowerShell 5.1 formats tables, truncation
    # and errors differently, so there the examples are not compared (each one says so).
    $script:Desktop = $PSVersionTable.PSEdition -eq 'Desktop'
    if ($script:Desktop) { return }
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-examples-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $examplesFile = Join-Path $script:Work 'examples.json'
    [System.IO.File]::WriteAllText($examplesFile, (ConvertTo-Json -InputObject @($toRun) -Depth 3))
    $pwsh = @(Get-PwshCommand)
    $runner = Join-Path $PSScriptRoot 'HelpExamples.Runner.ps1'
    $fixture = Join-Path $script:RepoRoot 'tests/emulator/tests/fixtures/directory-photo-access.json'
    $started = [DateTime]::UtcNow
    $lines = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $runner -Manifest $script:Manifest `
        -EmulatorModule (Join-Path $PSScriptRoot 'GraphEmulator.psm1') -EmulatorUrl $script:Emulator.Url -ExamplesFile $examplesFile `
        -WorkRoot $script:Work -DirectoryFixture $fixture 2>&1 | ForEach-Object { "$_" }
    $script:RunnerExit = $LASTEXITCODE
    $script:RunnerText = $lines -join "`n"
    $script:Elapsed = [DateTime]::UtcNow - $started

    # Printed text per example id, from the runner's marker lines.
    $script:Printed = @{}
    $current = $null
    $buffer = $null
    foreach ($l in $lines) {
        if ($l -match '^@@@BEGIN (.+)$') { $current = $Matches[1]; $buffer = New-Object System.Collections.Generic.List[string]; continue }
        if ($l -match '^@@@END (.+)$') { $script:Printed[$current] = ($buffer -join "`n"); $current = $null; continue }
        if ($null -ne $current) { $buffer.Add($l) }
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
    if ($script:Work) { Remove-Item -LiteralPath $script:Work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Help examples print what the help shows' {
    It 'the runner ran every example quickly' {
        if ($script:Desktop) { Set-ItResult -Skipped -Because 'the shown output is what PowerShell 7 prints; Windows PowerShell 5.1 formats it differently'; return }
        $script:RunnerExit | Should -Be 0 -Because $script:RunnerText
        $script:Elapsed.TotalSeconds | Should -BeLessThan 60
    }

    It '<Id>' -ForEach $examples {
        if ($script:Desktop) { Set-ItResult -Skipped -Because 'the shown output is what PowerShell 7 prints; Windows PowerShell 5.1 formats it differently'; return }
        if ($NotRun) { Set-ItResult -Skipped -Because "the markdown says it is not run: $NotRun"; return }
        $script:Printed.ContainsKey($Id) | Should -BeTrue -Because "the runner must have run it:`n$($script:RunnerText)"
        $printed = ConvertTo-Normalised $script:Printed[$Id]
        $shown = $script:Shown[$Id]
        if ($null -eq $shown) {
            $printed | Should -BeNullOrEmpty -Because "the example shows no output, so it must print nothing (add an ``````output block with what it prints)"
        } else {
            $printed | Should -Match (ConvertTo-OutputPattern $shown) -Because "the ``````output block must be what the example prints. It printed:`n$printed`n"
        }
    }
}

Describe 'The example comparison can fail' {
    It 'a different output, an extra line or an unmarked GUID does not match' {
        (ConvertTo-Normalised "a`n`n`nb  `n") | Should -Be "a`n`nb"
        'TenantId : 00000000-0000-0000-0000-000000000001' | Should -Match (ConvertTo-OutputPattern 'TenantId : <guid>')
        "Source : Cloud`nextra" | Should -Not -Match (ConvertTo-OutputPattern 'Source : Cloud')
        'Source : NotSet' | Should -Not -Match (ConvertTo-OutputPattern 'Source : Cloud')
        'Id : 00000000-0000-0000-0000-000000000001' | Should -Not -Match (ConvertTo-OutputPattern 'Id : 00000000-0000-0000-0000-000000000002')
    }
}
