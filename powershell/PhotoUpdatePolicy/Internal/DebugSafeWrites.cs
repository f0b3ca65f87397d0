using System.Collections.Generic;
using System.Management.Automation;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Verbose and debug writes that never prompt. PowerShell turns <c>-Debug</c> (without
    /// <c>-Verbose</c>) into Inquire for a binary cmdlet's WriteVerbose (and, on Windows PowerShell
    /// 5.1, for WriteDebug too): a confirmation prompt for every line, and under
    /// <c>pwsh -NonInteractive</c> an error that aborts the command. -Debug is meant to show more,
    /// so those lines are written as debug lines, and on 5.1 straight to the host's debug output.
    /// </summary>
    internal static class DebugSafeWrites
    {
        /// <summary>WriteVerbose, or a debug line when -Debug alone would make it prompt.</summary>
        internal static void Verbose(PSCmdlet cmdlet, string text)
        {
            Dictionary<string, object> bound = cmdlet.MyInvocation.BoundParameters;
            if (IsOn(bound, "Debug") && !bound.ContainsKey("Verbose"))
            {
                Debug(cmdlet, text);
                return;
            }

            cmdlet.WriteVerbose(text);
        }

        /// <summary>WriteDebug, or (Windows PowerShell 5.1 with -Debug) the host's debug line.</summary>
        internal static void Debug(PSCmdlet cmdlet, string text)
        {
#if NETFRAMEWORK
            if (IsOn(cmdlet.MyInvocation.BoundParameters, "Debug"))
            {
                cmdlet.Host.UI.WriteDebugLine(text);
                return;
            }
#endif
            cmdlet.WriteDebug(text);
        }

        private static bool IsOn(Dictionary<string, object> bound, string name) =>
            bound.TryGetValue(name, out object? value) && (!(value is SwitchParameter s) || s.IsPresent);
    }
}
