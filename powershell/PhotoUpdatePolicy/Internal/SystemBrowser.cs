using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Opens a URL in the user's browser for the browser sign-in: $BROWSER when set (the Unix
    /// convention; also how tests stand in for a browser), else the shell on Windows, <c>open</c> on
    /// macOS, <c>xdg-open</c> on Linux with a graphical session. Never waits for the browser.
    /// </summary>
    internal static class SystemBrowser
    {
        /// <summary>Environment variable naming the browser command (first entry of a ':'-separated list).</summary>
        internal const string BrowserVariable = "BROWSER";

        /// <summary>True when a browser was started; false when none can be (the caller shows the URL).</summary>
        internal static bool TryOpen(string url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                return false;
            }

            string? browser = Environment.GetEnvironmentVariable(BrowserVariable)?.Split(Path.PathSeparator)[0].Trim();
            try
            {
                if (!string.IsNullOrEmpty(browser))
                {
                    return Start(new ProcessStartInfo(browser!, Quote(url)) { UseShellExecute = false });
                }

                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    return Start(new ProcessStartInfo(url) { UseShellExecute = true });
                }

                if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
                {
                    return Start(new ProcessStartInfo("open", Quote(url)) { UseShellExecute = false });
                }

                // Without a graphical session xdg-open would start a text browser in this terminal.
                bool graphical = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY"))
                    || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY"));
                return graphical && Start(new ProcessStartInfo("xdg-open", Quote(url)) { UseShellExecute = false });
            }
            catch (Win32Exception)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        private static bool Start(ProcessStartInfo info)
        {
            info.RedirectStandardOutput = false;
            info.RedirectStandardError = false;
            using Process? process = Process.Start(info);
            return process != null || info.UseShellExecute;
        }

        // The URL is one argument: it holds '&' and no quotes (it is built by the library).
        private static string Quote(string url) => "\"" + url.Replace("\"", "%22") + "\"";
    }
}
