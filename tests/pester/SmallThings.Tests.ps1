# Small things admins hit: -WhatIf that would change nothing says so, -Debug never prompts or
# aborts (also under pwsh -NonInteractive), and the 24-hour reminder comes once per change.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCommon.ps1')
    $script:Emulator = Start-GraphEmulator -Path $script:EmulatorExe

    # Runs $Command in a fresh, non-interactive PowerShell with the module imported and $conn set
    # from the environment (the token never on the command line); returns exit code and output.
    function Invoke-Child([hashtable] $Conn, [string] $Command) {
        $pwsh = @(Get-PwshCommand)
        $token = $Conn.AccessToken
        if ($token -is [securestring]) { $token = [System.Net.NetworkCredential]::new('', $token).Password }
        $env:PUP_TEST_TOKEN = $token
        try {
            $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$($script:Manifest)'; " +
                "`$conn = @{ AccessToken = `$env:PUP_TEST_TOKEN; GraphEndpoint = '$($Conn.GraphEndpoint)'; AllowInsecureLoopback = `$true; TenantId = '$($Conn.TenantId)' }; $Command"
            $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = ($output | ForEach-Object { "$_" }) -join "`n" }
        } finally {
            Remove-Item Env:PUP_TEST_TOKEN -ErrorAction SilentlyContinue
        }
    }
}

AfterAll {
    if ($script:Emulator) { Stop-GraphEmulator -Emulator $script:Emulator }
}

Describe 'Small things admins hit' {
    BeforeEach {
        $script:Conn = New-TestConnection -Emulator $script:Emulator
    }

    It 'Reset -WhatIf and Set -WhatIf on a policy that needs nothing say they would do nothing, and send nothing' {
        Clear-EmulatorRequest -Emulator $script:Emulator
        $child = Invoke-Child $script:Conn 'Reset-PhotoUpdatePolicy @conn -WhatIf; Set-PhotoUpdatePolicy @conn -Source NotSet -WhatIf'
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $child.Text | Should -Match 'What if: Reset the photo update policy of .*: nothing to do, it is already at the default .*nothing would be sent\.'
        $child.Text | Should -Match 'What if: Set the photo update policy of .*: nothing to do, it already matches .*nothing would be sent\.'
        @(Get-PolicyRequest -Emulator $script:Emulator | Where-Object method -ne 'GET').Count | Should -Be 0
    }

    It '-Debug under pwsh -NonInteractive neither prompts nor aborts' {
        $child = Invoke-Child $script:Conn '(Get-PhotoUpdatePolicy @conn -Debug).Source; Set-PhotoUpdatePolicy @conn -Source Cloud -Confirm:$false -Debug -WarningAction SilentlyContinue; ''DONE'''
        $child.ExitCode | Should -Be 0 -Because $child.Text
        $child.Text | Should -Match 'NotSet'
        $child.Text | Should -Match '(?m)^DONE$'
        $child.Text | Should -Not -Match 'Continue with this operation|NonInteractive'
    }

    It 'reminds of the 24-hour delay once per change, never for no change, and -WarningAction suppresses it' {
        $null = Set-PhotoUpdatePolicy @script:Conn -Source Cloud -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings | Where-Object { "$_" -match '24 hours' }).Count | Should -Be 1
        $null = Set-PhotoUpdatePolicy @script:Conn -Source Cloud -Confirm:$false -WarningVariable again -WarningAction SilentlyContinue
        @($again | Where-Object { "$_" -match '24 hours' }).Count | Should -Be 0
        $null = Reset-PhotoUpdatePolicy @script:Conn -Confirm:$false -WarningVariable reset -WarningAction SilentlyContinue
        @($reset | Where-Object { "$_" -match '24 hours' }).Count | Should -Be 1
        $child = Invoke-Child $script:Conn 'Set-PhotoUpdatePolicy @conn -Source OnPremises -Confirm:$false -WarningAction SilentlyContinue; ''DONE'''
        $child.Text | Should -Not -Match '24 hours'
    }
}
