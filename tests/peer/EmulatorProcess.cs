using System.Diagnostics;

namespace PeerTests;

/// <summary>
/// Starts the graph-emulator binary as a separate process on a free port and stops it on dispose.
/// The binary comes from GRAPH_EMULATOR_BIN, else target/debug/graph-emulator in the repository.
/// </summary>
public sealed class EmulatorProcess : IDisposable
{
    private const string Banner = "graph-emulator listening on ";
    private readonly Process _process;

    /// <summary>Base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; }

    public EmulatorProcess()
    {
        var bin = Environment.GetEnvironmentVariable("GRAPH_EMULATOR_BIN");
        if (string.IsNullOrWhiteSpace(bin))
        {
            bin = Path.Combine(FindRepositoryRoot(), "target", "debug", "graph-emulator");
        }
        if (!File.Exists(bin))
        {
            throw new FileNotFoundException(
                $"The graph-emulator binary was not found at '{bin}'. Build it with 'cargo build -p graph_emulator' or set GRAPH_EMULATOR_BIN.", bin);
        }
        var info = new ProcessStartInfo(bin, "--port 0")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{bin}'.");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        var readLine = _process.StandardOutput.ReadLineAsync();
        if (!readLine.Wait(TimeSpan.FromSeconds(10)) || readLine.Result is null || !readLine.Result.StartsWith(Banner, StringComparison.Ordinal))
        {
            Dispose();
            throw new InvalidOperationException($"graph-emulator did not print '{Banner}<url>' within 10 s.");
        }
        Url = readLine.Result.Substring(Banner.Length).Trim();
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cargo.toml")) && Directory.Exists(Path.Combine(dir.FullName, "tests", "emulator")))
            {
                return dir.FullName;
            }
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException("Could not find the repository root (Cargo.toml with tests/emulator) above the test assembly.");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
