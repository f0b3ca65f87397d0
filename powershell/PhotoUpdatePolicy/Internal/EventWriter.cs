using System;
using System.Collections.Generic;
using System.Management.Automation;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Writes a native call's events to its cmdlet, on the pipeline thread: verbose, debug, warning,
    /// progress and information records, each with the Write* method PowerShell has for it.
    /// </summary>
    internal sealed class EventWriter
    {
        private readonly PSCmdlet cmdlet;

        internal EventWriter(PSCmdlet cmdlet)
        {
            this.cmdlet = cmdlet;
            Write = WriteEvent;
        }

        /// <summary>The writer as a delegate, made once per cmdlet (the relay takes it on every call).</summary>
        internal Action<uint, string> Write { get; }

        /// <summary>
        /// Receives each fleet tenant's result JSON (<see cref="PupEventLevel.Result"/>) as it
        /// arrives; null: results are only read from the run's final answer.
        /// </summary>
        internal Action<string>? OnResult { get; set; }

        private void WriteEvent(uint level, string message)
        {
            switch ((PupEventLevel)level)
            {
                case PupEventLevel.Verbose:
                    DebugSafeWrites.Verbose(cmdlet, message);
                    break;
                case PupEventLevel.Debug:
                    DebugSafeWrites.Debug(cmdlet, message);
                    break;
                case PupEventLevel.Warning:
                    cmdlet.WriteWarning(message);
                    break;
                case PupEventLevel.Progress:
                    WriteProgress(message);
                    break;
                case PupEventLevel.Result:
                    OnResult?.Invoke(message);
                    break;
                case PupEventLevel.Information:
                    // Something the user must act on now (e.g. a device code sign-in): shown like
                    // Write-Host, whatever $InformationPreference says, and still capturable.
                    cmdlet.WriteInformation(new HostInformationMessage { Message = message }, new[] { "PSHOST", "PhotoUpdatePolicy" });
                    break;
                case PupEventLevel.OpenBrowser:
                    OpenBrowser(message);
                    break;
                default:
                    DebugSafeWrites.Verbose(cmdlet, message);
                    break;
            }
        }

        /// <summary>The browser sign-in: opens the authorize URL, or shows it when no browser opens.</summary>
        private void OpenBrowser(string url)
        {
            string text = SystemBrowser.TryOpen(url)
                ? "Sign in in the browser window that opened (PowerShell waits up to 5 minutes; Ctrl+C cancels). If no window appeared, open: " + url
                : "No browser could be opened here. To sign in, open this page in a browser on this computer (it returns to a local port): " + url;
            cmdlet.WriteInformation(new HostInformationMessage { Message = text }, new[] { "PSHOST", "PhotoUpdatePolicy" });
        }

        private void WriteProgress(string json)
        {
            Dictionary<string, object?>? obj;
            try
            {
                obj = JsonCodec.Instance.Parse(json) as Dictionary<string, object?>;
            }
            catch (Exception)
            {
                obj = null;
            }

            if (obj == null)
            {
                DebugSafeWrites.Verbose(cmdlet, json);
                return;
            }

            string activity = JsonTree.String(obj, "activity") ?? cmdlet.MyInvocation.MyCommand.Name;
            string status = JsonTree.String(obj, "status") ?? "Working";
            var record = new ProgressRecord(1, string.IsNullOrEmpty(activity) ? "PhotoUpdatePolicy" : activity, string.IsNullOrEmpty(status) ? "Working" : status);
            long? percent = JsonTree.Long(obj, "percent");
            if (percent.HasValue)
            {
                record.PercentComplete = (int)Math.Max(0, Math.Min(100, percent.Value));
            }

            // "completed" and "total" count steps (e.g. tenants): show them in the status line.
            long? completed = JsonTree.Long(obj, "completed");
            long? total = JsonTree.Long(obj, "total");
            if (completed.HasValue && total.HasValue)
            {
                record.StatusDescription += $" ({completed.Value}/{total.Value})";
            }

            cmdlet.WriteProgress(record);
        }
    }
}
