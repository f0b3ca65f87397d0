# Help and examples: the markdown in docs/help matches the cmdlets the assembled module really
# exports (drift fails the build), Get-Help -Full on the assembled module shows what the markdown
# says, the about topics are found, and every example script parses; the emulator walkthrough runs.
# Runs on Windows PowerShell 5.1 and PowerShell 7 (Invoke-PesterTests.ps1 sets the env variables).

BeforeDiscovery {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
    Import-Module (Join-Path $repo 'tools/help/HelpMarkdown.psm1') -Force
    $helpFiles = @(Get-ChildItem -LiteralPath (Join-Path $repo 'docs/help') -Filter '*.md' | Sort-Object Name |
            ForEach-Object { @{ Path = $_.FullName; Name = $_.BaseName } })
    $exampleFiles = @(Get-ChildItem -LiteralPath (Join-Path $repo 'examples') -Filter '*.ps1' | Sort-Object Name |
            ForEach-Object { @{ Path = $_.FullName; Name = $_.Name } })
    $moduleFolder = $env:PHOTOPOLICY_TEST_MODULE
    $exported = @()
    if ($moduleFolder -and (Test-Path -LiteralPath (Join-Path $moduleFolder 'PhotoUpdatePolicy.psd1'))) {
        Import-Module (Join-Path $moduleFolder 'PhotoUpdatePolicy.psd1') -Force
        $exported = @(Get-Command -Module PhotoUpdatePolicy -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
    }
    $aboutTopics = @('about_PhotoUpdatePolicy', 'about_PhotoUpdatePolicy_Authentication', 'about_PhotoUpdatePolicy_Emulator') |
        ForEach-Object { @{ Topic = $_ } }
}

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
    Import-Module (Join-Path $repo 'tools/help/HelpMarkdown.psm1') -Force
    $moduleFolder = $env:PHOTOPOLICY_TEST_MODULE
    if (-not $moduleFolder) { throw 'PHOTOPOLICY_TEST_MODULE is not set: run the tests through tests/pester/Invoke-PesterTests.ps1.' }
    Import-Module (Join-Path $moduleFolder 'PhotoUpdatePolicy.psd1') -Force
    $mamlInModule = Join-Path $moduleFolder 'en-US/PhotoUpdatePolicy.dll-Help.xml'
}

Describe 'Cmdlet help markdown: <Name>' -ForEach $helpFiles {
    BeforeAll {
        $help = Read-HelpMarkdown -Path $Path
        $command = Get-Command -Module PhotoUpdatePolicy -Name $Name -CommandType Cmdlet -ErrorAction SilentlyContinue
    }

    It 'is complete: synopsis, description, examples with remarks, every parameter described, syntax in step' {
        @(Test-HelpMarkdown -Help $help) | Should -BeNullOrEmpty
    }

    It 'names the issue it belongs to in its front matter' {
        $help.FrontMatter['issue'] | Should -Match '^\d+$'
    }

    It 'documents exactly the parameters of the loaded cmdlet (type, sets, required, position, pipeline, aliases, values)' {
        $command | Should -Not -BeNullOrEmpty -Because "docs/help documents $Name, so the module must export it"
        @(Compare-HelpWithCommand -Help $help -Command $command) | Should -BeNullOrEmpty
    }
}

Describe 'Help drift checks' {
    It 'every exported cmdlet has a markdown file' {
        $documented = @(Get-ChildItem -LiteralPath (Join-Path $repo 'docs/help') -Filter '*.md' | ForEach-Object BaseName)
        $missing = @(Get-Command -Module PhotoUpdatePolicy -CommandType Cmdlet | Where-Object { $documented -notcontains $_.Name } | ForEach-Object Name)
        $missing | Should -BeNullOrEmpty -Because 'each exported cmdlet needs docs/help/<Cmdlet>.md'
    }

    It 'the committed MAML is what the markdown generates' {
        $helps = @(Get-ChildItem -LiteralPath (Join-Path $repo 'docs/help') -Filter '*.md' | ForEach-Object { Read-HelpMarkdown -Path $_.FullName })
        $committed = [System.IO.File]::ReadAllText((Join-Path $repo 'docs/help/en-US/PhotoUpdatePolicy.dll-Help.xml')) -replace "`r`n", "`n"
        ($committed -eq (ConvertTo-HelpMaml -Help $helps)) | Should -BeTrue -Because 'run tools/help/Build-Help.ps1 -UpdateCommitted after editing docs/help/*.md'
    }

    It 'the drift check notices an undocumented parameter and a documented parameter the cmdlet lacks' {
        # Proves the comparison can fail: a copy of Get-PhotoUpdatePolicy.md loses -TenantId and gains -Bogus.
        $source = [System.IO.File]::ReadAllText((Join-Path $repo 'docs/help/Get-PhotoUpdatePolicy.md'))
        $edited = $source -replace '### -TenantId', '### -Bogus'
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-help-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        try {
            $copy = Join-Path $dir 'Get-PhotoUpdatePolicy.md'
            [System.IO.File]::WriteAllText($copy, $edited)
            $problems = @(Compare-HelpWithCommand -Help (Read-HelpMarkdown -Path $copy) -Command (Get-Command Get-PhotoUpdatePolicy))
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force }
        ($problems -join "`n") | Should -Match 'parameter -TenantId .* is not documented'
        ($problems -join "`n") | Should -Match 'parameter -Bogus is documented but the cmdlet has no such parameter'
    }

    It 'the drift check notices a wrong default, range, wildcard flag, input, output type and property list' {
        # Proves the metadata comparison can fail: a copy of Test-PhotoUpdatePolicy.md with the
        # -ThrottleLimit the old help had (1 to 64, default 4), a wildcard claim, and wrong outputs.
        $source = [System.IO.File]::ReadAllText((Join-Path $repo 'docs/help/Test-PhotoUpdatePolicy.md')) -replace "`r`n", "`n"
        $edited = $source -replace '(?s)(### -ThrottleLimit.*?)Accepted range: 1 to 1024(.*?)Default value: 10', '$1Accepted range: 1 to 64$2Default value: 4'
        $edited = $edited -replace '(?s)(### -Quiet.*?)Accept wildcard characters: False', '$1Accept wildcard characters: True'
        $edited = $edited -replace '### PhotoUpdatePolicy\.PolicyTestResult', '### PhotoUpdatePolicy.DriftResult'
        $edited = $edited -replace '### System\.Boolean\nWith -Quiet\.', "### System.Boolean`nWith -Quiet.`nProperties: Value."
        $edited = $edited -replace '(?s)## INPUTS\n.*?(?=## OUTPUTS)', "## INPUTS`n`n### None`nNothing.`n`n"
        $edited | Should -Not -Be $source
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-help-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        try {
            $copy = Join-Path $dir 'Test-PhotoUpdatePolicy.md'
            [System.IO.File]::WriteAllText($copy, $edited)
            $problems = @(Compare-HelpWithCommand -Help (Read-HelpMarkdown -Path $copy) -Command (Get-Command Test-PhotoUpdatePolicy)) -join "`n"
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force }
        $problems | Should -Match "-ThrottleLimit \(set \(All\)\): Accepted range is '1 to 64', the cmdlet says '1 to 1024'"
        $problems | Should -Match "-ThrottleLimit \(set \(All\)\): Default value is '4', the cmdlet says '10'"
        $problems | Should -Match '-Quiet \(set \(All\)\): Accept wildcard characters is True, the cmdlet says False'
        $problems | Should -Match 'OUTPUTS lacks PhotoUpdatePolicy\.PolicyTestResult'
        $problems | Should -Match 'OUTPUTS names PhotoUpdatePolicy\.DriftResult, which the cmdlet does not declare'
        $problems | Should -Match 'OUTPUTS System\.Boolean: lists properties'
        $problems | Should -Match 'INPUTS says None, but .*-TenantId.* take\(s\) pipeline input'
    }

    It 'the drift check notices an output type documented for the wrong parameter sets' {
        $source = [System.IO.File]::ReadAllText((Join-Path $repo 'docs/help/Export-PhotoUpdatePolicy.md')) -replace "`r`n", "`n"
        $edited = $source -replace 'Parameter sets: Path, LiteralPath\.', 'Parameter sets: Path.'
        $edited | Should -Not -Be $source
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-help-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        try {
            $copy = Join-Path $dir 'Export-PhotoUpdatePolicy.md'
            [System.IO.File]::WriteAllText($copy, $edited)
            $problems = @(Compare-HelpWithCommand -Help (Read-HelpMarkdown -Path $copy) -Command (Get-Command Export-PhotoUpdatePolicy)) -join "`n"
        } finally { Remove-Item -LiteralPath $dir -Recurse -Force }
        $problems | Should -Match "OUTPUTS System\.IO\.FileInfo: written in parameter sets 'Path' says the help, 'Path, LiteralPath' says \[OutputType\]"
    }

    It 'the defaults compared are the compiled cmdlets'' own' {
        $throttle = Get-CommandParameterFacts (Get-Command Import-PhotoUpdatePolicy) | Where-Object Name -eq 'ThrottleLimit'
        $throttle.DefaultValue | Should -Be ([string](New-Object PhotoUpdatePolicy.Commands.ImportPhotoUpdatePolicyCommand).ThrottleLimit)
        $throttle.Limits['Accepted range'] | Should -Be '1 to 1024'
        $environment = Get-CommandParameterFacts (Get-Command Get-PhotoUpdatePolicy) | Where-Object Name -eq 'Environment'
        $environment.DefaultValue | Should -Be 'Global' -Because '[PSDefaultValue(Value = "Global")] declares the default applied when none is given'
        (Get-CommandParameterFacts (Get-Command Get-PhotoUpdatePolicyRole) | Where-Object Name -eq 'Name').Wildcard | Should -BeTrue
        $outputs = @(Get-CommandOutputFacts (Get-Command Test-PhotoUpdatePolicy))
        @($outputs | ForEach-Object Type) | Should -Be @('PhotoUpdatePolicy.PolicyTestResult', 'System.Boolean')
        $outputs[0].Properties | Should -Contain 'Compliant'
    }

    It 'the module folder holds the help build.ps1 generated, identical to the committed MAML' {
        Test-Path -LiteralPath $mamlInModule | Should -BeTrue -Because 'build.ps1 -Task Build runs tools/help/Build-Help.ps1 -ModuleFolder out/PhotoUpdatePolicy'
        ([System.IO.File]::ReadAllText($mamlInModule) -replace "`r`n", "`n") |
            Should -Be ([System.IO.File]::ReadAllText((Join-Path $repo 'docs/help/en-US/PhotoUpdatePolicy.dll-Help.xml')) -replace "`r`n", "`n")
    }
}

Describe 'Get-Help -Full on the assembled module: <Name>' -ForEach $exported {
    BeforeAll {
        $help = Read-HelpMarkdown -Path (Join-Path $repo "docs/help/$Name.md")
        $full = Get-Help -Name $Name -Full
        $text = ($full | Out-String -Width 200)
    }

    It 'shows the synopsis and description from the markdown' {
        $full.Synopsis | Should -Be $help.Synopsis
        ($full.description | Out-String) | Should -Match ([regex]::Escape(($help.Description[0] -split ' ')[0..3] -join ' '))
    }

    It 'shows every parameter with its type, required flag, position and pipeline input' {
        foreach ($p in $help.Parameters) {
            $shown = @($full.parameters.parameter | Where-Object { $_.name -eq $p.Name })
            $shown.Count | Should -Be 1 -Because "-$($p.Name) must appear once"
            $shown[0].type.name | Should -Be $p.Metadata[0].Type
            $shown[0].required | Should -Be ($p.Metadata[0].Required.ToString().ToLowerInvariant())
            $shown[0].pipelineInput | Should -Be $p.Metadata[0].PipelineInput
        }
    }

    It 'shows the examples with their code and remarks' {
        $examples = @($full.examples.example)
        $examples.Count | Should -Be $help.Examples.Count
        for ($i = 0; $i -lt $examples.Count; $i++) {
            $examples[$i].code | Should -Be $help.Examples[$i].Code
            ($examples[$i].remarks | Out-String) | Should -Not -BeNullOrEmpty
        }
        $text | Should -Match 'Example 1'
    }

    It 'shows inputs, outputs and notes' {
        $text | Should -Match 'INPUTS'
        $text | Should -Match ([regex]::Escape($help.Outputs[0].Type))
        ($full.alertSet | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }
}

Describe 'Help online and updatable' {
    BeforeAll {
        $cargo = [System.IO.File]::ReadAllText((Join-Path $repo 'Cargo.toml'))
        $repositoryUrl = [regex]::Match($cargo, '(?m)^repository\s*=\s*"([^"]+)"').Groups[1].Value
        $manifest = Test-ModuleManifest -Path (Join-Path $moduleFolder 'PhotoUpdatePolicy.psd1')
    }

    It 'the manifest HelpInfoUri is an https folder of the project (the release assets)' {
        $repositoryUrl | Should -Match '^https://github\.com/'
        $uri = $null
        [System.Uri]::TryCreate($manifest.HelpInfoUri, [System.UriKind]::Absolute, [ref]$uri) | Should -BeTrue
        $uri.Scheme | Should -Be 'https'
        $manifest.HelpInfoUri | Should -BeLike "$repositoryUrl/*"
        $manifest.HelpInfoUri | Should -Match '/$' -Because 'Update-Help appends the HelpInfo.xml file name'
    }

    It 'every cmdlet''s help carries its page of the project''s docs as the online link' {
        foreach ($cmd in (Get-Command -Module PhotoUpdatePolicy -CommandType Cmdlet)) {
            $expected = "$repositoryUrl/blob/main/docs/help/$($cmd.Name).md"
            Test-Path -LiteralPath (Join-Path $repo "docs/help/$($cmd.Name).md") | Should -BeTrue
            $links = @((Get-Help -Name $cmd.Name).relatedLinks.navigationLink | Where-Object { $_.uri })
            $links[0].uri | Should -Be $expected -Because 'Get-Help -Online opens the first related link with an address'
        }
    }

    It 'Get-Help -Online opens the cmdlet''s page (a stand-in xdg-open records the address)' {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'the stand-in browser is an xdg-open script (Linux); the link itself is checked above on every system'; return }
        $bin = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-online-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $bin | Out-Null
        $log = Join-Path $bin 'opened.txt'
        $opener = Join-Path $bin 'xdg-open'
        [System.IO.File]::WriteAllText($opener, "#!/bin/sh`nprintf '%s\n' `"`$1`" >> '$log'`n")
        & chmod +x $opener
        $savedPath = $env:PATH
        try {
            $env:PATH = $bin + [System.IO.Path]::PathSeparator + $env:PATH
            Get-Help -Name Test-PhotoUpdatePolicy -Online
            Get-Help -Name Import-PhotoUpdatePolicy -Online
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ([DateTime]::UtcNow -lt $deadline -and @(Get-Content -LiteralPath $log -ErrorAction SilentlyContinue).Count -lt 2) { Start-Sleep -Milliseconds 50 }
            @(Get-Content -LiteralPath $log) | Should -Be @("$repositoryUrl/blob/main/docs/help/Test-PhotoUpdatePolicy.md", "$repositoryUrl/blob/main/docs/help/Import-PhotoUpdatePolicy.md")
        } finally {
            $env:PATH = $savedPath
            Remove-Item -LiteralPath $bin -Recurse -Force
        }
    }

    It 'the HelpContent .cab holds the module''s help files, byte for byte (checked by a cabinet reader)' {
        $work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-cab-' + [guid]::NewGuid().ToString('N'))
        try {
            $files = @(New-UpdatableHelp -ModuleName PhotoUpdatePolicy -Guid $manifest.Guid -Version $manifest.Version -HelpInfoUri $manifest.HelpInfoUri `
                    -CultureFolder (Join-Path $moduleFolder 'en-US') -Destination (Join-Path $work 'published'))
            $cab = ($files | Where-Object Extension -eq '.cab').FullName
            $out = Join-Path $work 'extracted'
            New-Item -ItemType Directory -Path $out | Out-Null
            # Windows' own expand.exe (cabinet.dll, what Update-Help uses), else cabextract or gcab
            # (.ci/run installs cabextract), which both verify the blocks' checksums.
            if ($IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop') { $reader = 'expand.exe'; & expand.exe $cab -F:* $out | Out-Null }
            elseif (Get-Command cabextract -ErrorAction SilentlyContinue) { $reader = 'cabextract'; & cabextract -q -d $out $cab }
            elseif (Get-Command gcab -ErrorAction SilentlyContinue) { $reader = 'gcab'; Push-Location $out; try { & gcab -x $cab } finally { Pop-Location } }
            else { Set-ItResult -Skipped -Because 'no cabinet reader here (expand.exe, cabextract or gcab; .ci/run installs cabextract)'; return }
            $LASTEXITCODE | Should -Be 0 -Because "$reader must read the cabinet"
            $expected = @(Get-ChildItem -LiteralPath (Join-Path $moduleFolder 'en-US') -File | Sort-Object Name)
            @(Get-ChildItem -LiteralPath $out -File | ForEach-Object Name | Sort-Object) | Should -Be @($expected | ForEach-Object Name)
            foreach ($f in $expected) {
                (Get-FileHash -LiteralPath (Join-Path $out $f.Name) -Algorithm SHA256).Hash | Should -Be (Get-FileHash -LiteralPath $f.FullName -Algorithm SHA256).Hash -Because "$($f.Name) must come out as it went in"
            }
        } finally {
            Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'Update-Help installs the help from what the build publishes (HelpInfo.xml, the HelpContent .zip and .cab)' {
        $work = Join-Path ([System.IO.Path]::GetTempPath()) ('pup-updatehelp-' + [guid]::NewGuid().ToString('N'))
        try {
            # What a release publishes, made by the build's own code from the module's help.
            $published = Join-Path $work 'published'
            $files = @(New-UpdatableHelp -ModuleName PhotoUpdatePolicy -Guid $manifest.Guid -Version $manifest.Version -HelpInfoUri $manifest.HelpInfoUri `
                    -CultureFolder (Join-Path $moduleFolder 'en-US') -Destination $published)
            @($files | ForEach-Object Name | Sort-Object) | Should -Be @("PhotoUpdatePolicy_$($manifest.Guid)_en-US_HelpContent.cab", "PhotoUpdatePolicy_$($manifest.Guid)_en-US_HelpContent.zip", "PhotoUpdatePolicy_$($manifest.Guid)_HelpInfo.xml")
            # A copy of the module without help, updated by Update-Help in a fresh PowerShell.
            $copy = Join-Path $work 'PhotoUpdatePolicy'
            Copy-Item -LiteralPath $moduleFolder -Destination $copy -Recurse
            Remove-Item -LiteralPath (Join-Path $copy 'en-US') -Recurse -Force
            # This PowerShell's command line (`dotnet pwsh` runs pwsh.dll).
            $process = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
            $pwsh = if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, (Join-Path $PSHOME 'pwsh.dll')) } else { @($process) }
            # PowerShell 7 takes the .zip (-Scope AllUsers: into the module folder); Windows PowerShell
            # 5.1 takes the .cab and always installs into the module folder.
            $scope = if ($PSVersionTable.PSEdition -eq 'Desktop') { '' } else { '-Scope AllUsers' }
            $script = "Import-Module '$copy/PhotoUpdatePolicy.psd1'; Update-Help -Module PhotoUpdatePolicy -SourcePath '$published' $scope -UICulture en-US -Force -ErrorAction Stop; (Get-Help Get-PhotoUpdatePolicy).Synopsis"
            $out = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            ($out -join "`n") | Should -Match ([regex]::Escape((Read-HelpMarkdown -Path (Join-Path $repo 'docs/help/Get-PhotoUpdatePolicy.md')).Synopsis))
            ([System.IO.File]::ReadAllText((Join-Path $copy 'en-US/PhotoUpdatePolicy.dll-Help.xml')) -replace "`r`n", "`n") |
                Should -Be ([System.IO.File]::ReadAllText((Join-Path $repo 'docs/help/en-US/PhotoUpdatePolicy.dll-Help.xml')) -replace "`r`n", "`n")
            Test-Path -LiteralPath (Join-Path $copy 'en-US/about_PhotoUpdatePolicy.help.txt') | Should -BeTrue
        } finally {
            Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Describe 'About topic <Topic>' -ForEach $aboutTopics {
    It 'is well formed (TOPIC header, descriptions, lines of 80 characters at most)' {
        @(Test-AboutTopic -Path (Join-Path $repo "docs/about/$Topic.help.txt")) | Should -BeNullOrEmpty
    }

    It 'is shipped in the module folder and found by Get-Help' {
        Test-Path -LiteralPath (Join-Path $moduleFolder "en-US/$Topic.help.txt") | Should -BeTrue
        (Get-Help -Name $Topic | Out-String) | Should -Match ([regex]::Escape($Topic))
    }
}

Describe 'about_PhotoUpdatePolicy content' {
    BeforeAll { $about = [System.IO.File]::ReadAllText((Join-Path $repo 'docs/about/about_PhotoUpdatePolicy.help.txt')) }

    It 'lists every role of the catalog with its template ID' {
        foreach ($role in (Get-PhotoUpdatePolicyRole)) {
            $about | Should -Match ([regex]::Escape($role.Name) + '\s+' + [regex]::Escape($role.Id))
        }
    }

    It 'shows each role with the status the catalog gives it (Accepted or Refused)' {
        foreach ($role in (Get-PhotoUpdatePolicyRole)) {
            $about | Should -Match ([regex]::Escape($role.Name) + '\s+' + [regex]::Escape($role.Id) + '\s+' + $role.Status)
        }
    }

    It 'every example that restricts roles in the about topics sets Source Cloud in the same call, as the service requires' {
        $topics = Get-ChildItem -LiteralPath (Join-Path $repo 'docs/about') -Filter 'about_*.help.txt'
        $checked = 0
        foreach ($topic in $topics) {
            # A command with its backtick continuations is one example.
            $text = [System.IO.File]::ReadAllText($topic.FullName) -replace '`\r?\n\s*', ' '
            foreach ($line in ($text -split '\r?\n' | Where-Object { $_ -match "Set-PhotoUpdatePolicy\b.*-AllowedRoles\s+'" })) {
                $line | Should -Match '-Source Cloud' -Because "$($topic.Name): $line"
                $checked++
            }
        }
        $checked | Should -BeGreaterThan 1
    }

    It 'says what Microsoft documents about SetPhotoEnabled: Outlook on the web, Teams, not My Account, and the pointer to this policy' {
        $about | Should -Match 'sender photo in Outlook on the web'
        $about | Should -Match 'Configure User\s+Administrator support for profile photo updates'
        $about | Should -Match 'Teams'
        $about | Should -Match 'My Account'
    }

    It 'explains the 24-hour delay, the hybrid source, SetPhotoEnabled and the way back to the defaults' {
        $about | Should -Match '24 hours'
        $about | Should -Match 'OnPremises'
        $about | Should -Match 'SetPhotoEnabled'
        $about | Should -Match 'Reset-PhotoUpdatePolicy'
        $about | Should -Match 'Unconfirmed'
    }
}

Describe 'Example script <Name>' -ForEach $exampleFiles {
    It 'parses without errors' {
        $errors = $null
        [void][System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$errors)
        @($errors) | Should -BeNullOrEmpty
    }

    It 'has a header saying what it does, its prerequisites and the permissions it needs' {
        $text = [System.IO.File]::ReadAllText($Path)
        $text | Should -Match '\.SYNOPSIS'
        $text | Should -Match 'What it does:'
        $text | Should -Match 'Prerequisites:'
        $text | Should -Match 'Permissions:'
    }

    It 'uses only cmdlets the module has or will have (documented in docs/help)' {
        $documented = @(Get-ChildItem -LiteralPath (Join-Path $repo 'docs/help') -Filter '*.md' | ForEach-Object BaseName)
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
        $used = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) |
                ForEach-Object { $_.GetCommandName() } | Where-Object { $_ -like '*-PhotoUpdatePolicy*' } | Sort-Object -Unique)
        @($used | Where-Object { $documented -notcontains $_ }) | Should -BeNullOrEmpty
    }
}

Describe 'Emulator walkthrough example' {
    It 'runs end to end against the Graph emulator and leaves the tenant at the defaults' {
        $emulator = $env:PHOTOPOLICY_TEST_EMULATOR
        $result = & (Join-Path $repo 'examples/Invoke-EmulatorWalkthrough.ps1') -ModulePath (Join-Path $moduleFolder 'PhotoUpdatePolicy.psd1') `
            -EmulatorPath $emulator 6>$null
        $result.Before.EveryoneCanChangePhoto | Should -BeTrue
        [string]$result.Changed.Source | Should -Be 'Cloud'
        @($result.Changed.AllowedRoles | ForEach-Object Name | Sort-Object) | Should -Be @('Global Administrator', 'User Administrator')
        [string]$result.Reset.Source | Should -Be 'NotSet'
        $result.Reset.EveryoneCanChangePhoto | Should -BeTrue
    }
}
