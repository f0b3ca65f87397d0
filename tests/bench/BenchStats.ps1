# Statistics and helpers shared by the bench scripts (dot-sourced). Works on PowerShell 7 and Windows PowerShell 5.1.
Set-StrictMode -Version 3.0

# The PowerShell running this script, for fresh child sessions (`dotnet pwsh` runs pwsh.dll).
function Get-PwshCommand {
    $process = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    @($process)
}

# Median, p90, mean, min and max of a list of milliseconds, as an ordered hashtable (JSON-friendly).
# Percentiles are nearest-rank on the sorted samples (p90 = the value 90 % of the samples do not exceed).
function Get-BenchStats {
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [double[]] $Samples)
    if ($Samples.Count -eq 0) { throw 'Get-BenchStats: no samples.' }
    $sorted = [double[]]$Samples.Clone()
    [array]::Sort($sorted)
    $rank = { param([double] $q) $sorted[[math]::Max(0, [int][math]::Ceiling($q * $sorted.Length) - 1)] }
    $median = if ($sorted.Length % 2) { $sorted[($sorted.Length - 1) / 2] } else { ($sorted[$sorted.Length / 2 - 1] + $sorted[$sorted.Length / 2]) / 2 }
    [ordered]@{
        count    = $sorted.Length
        medianMs = [math]::Round($median, 4)
        p90Ms    = [math]::Round((& $rank 0.9), 4)
        meanMs   = [math]::Round(($sorted | Measure-Object -Average).Average, 4)
        minMs    = [math]::Round($sorted[0], 4)
        maxMs    = [math]::Round($sorted[-1], 4)
    }
}

# Least-squares slope of y over x.
function Get-Slope {
    param([Parameter(Mandatory)] [double[]] $X, [Parameter(Mandatory)] [double[]] $Y)
    $n = $X.Count
    $mx = ($X | Measure-Object -Average).Average
    $my = ($Y | Measure-Object -Average).Average
    $num = 0.0; $den = 0.0
    for ($i = 0; $i -lt $n; $i++) {
        $num += ($X[$i] - $mx) * ($Y[$i] - $my)
        $den += ($X[$i] - $mx) * ($X[$i] - $mx)
    }
    if ($den -eq 0) { return 0.0 }
    $num / $den
}
