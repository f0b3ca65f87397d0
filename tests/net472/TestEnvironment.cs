using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text;
using System.Web.Script.Serialization;


namespace PhotoUpdatePolicy.Net472Tests
{
    /// <summary>
    /// Where the tests run: the staged module folder (this assembly sits in its lib/net472/, beside
    /// the module's own PhotoUpdatePolicy.dll) and the runtime (Mono or .NET Framework).
    /// </summary>
    internal static class TestEnvironment
    {
        /// <summary>The module assembly under test, as loaded.</summary>
        internal static string ModuleAssemblyPath => typeof(PhotoUpdatePolicy.Native.NativeLibraryLoader).Assembly.Location;

        /// <summary>The staged module folder (two levels above lib/net472/).</summary>
        internal static string ModuleRoot =>
            Directory.GetParent(Path.GetDirectoryName(ModuleAssemblyPath)!)!.Parent!.FullName;

        /// <summary>True on Mono (Linux, macOS); false on the .NET Framework (Windows).</summary>
        internal static bool IsMono => Type.GetType("Mono.Runtime") != null;
    }

    /// <summary>
    /// The graph-emulator binary (GRAPH_EMULATOR_BIN) on a free loopback port, for one test class.
    /// </summary>
    public sealed class EmulatorFixture : IDisposable
    {
        private const string Banner = "graph-emulator listening on ";
        private readonly Process process;

        public EmulatorFixture()
        {
            string? bin = Environment.GetEnvironmentVariable("GRAPH_EMULATOR_BIN");
            if (string.IsNullOrEmpty(bin) || !File.Exists(bin))
            {
                throw new InvalidOperationException($"Set GRAPH_EMULATOR_BIN to the graph-emulator binary (now '{bin}').");
            }

            var info = new ProcessStartInfo(bin, "--port 0")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{bin}'.");
            process.ErrorDataReceived += (s, e) => { };
            process.BeginErrorReadLine();
            var line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(15)) || line.Result == null || !line.Result.StartsWith(Banner, StringComparison.Ordinal))
            {
                Dispose();
                throw new InvalidOperationException($"graph-emulator did not print '{Banner}<url>' within 15 s.");
            }

            Url = line.Result.Substring(Banner.Length).Trim();
        }

        /// <summary>Base URL, e.g. http://127.0.0.1:41234.</summary>
        public string Url { get; }

        /// <summary>Calls the emulator's control API and returns the parsed answer.</summary>
        public object? Control(string method, string path, object? body = null)
        {
            var request = (HttpWebRequest)WebRequest.Create(Url + path);
            request.Method = method;
            request.Proxy = null;
            if (body != null)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(new JavaScriptSerializer().Serialize(body));
                request.ContentType = "application/json";
                request.ContentLength = bytes.Length;
                using (Stream stream = request.GetRequestStream())
                {
                    stream.Write(bytes, 0, bytes.Length);
                }
            }

            using (var response = (HttpWebResponse)request.GetResponse())
            using (var reader = new StreamReader(response.GetResponseStream()!, Encoding.UTF8))
            {
                string text = reader.ReadToEnd();
                return text.Length == 0 ? null : new JavaScriptSerializer().DeserializeObject(text);
            }
        }

        /// <summary>An application token for the tenant with the given Graph permission.</summary>
        public string MintToken(string tenant, string permission)
        {
            var answer = (System.Collections.Generic.IDictionary<string, object>)Control(
                "POST", "/_emulator/tokens", new { tenantId = tenant, roles = new[] { permission } })!;
            return (string)answer["access_token"];
        }

        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }
    }
}
