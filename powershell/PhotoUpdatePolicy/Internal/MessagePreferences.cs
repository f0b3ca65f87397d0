using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// How one command's messages will be written, and whether its confirmation would prompt, read
    /// from its common parameters and the preference variables (each read once per call).
    /// </summary>
    internal readonly struct MessagePreferences
    {
        private MessagePreferences(bool verbose, bool debug, bool prompts)
        {
            Verbose = verbose;
            Debug = debug;
            Prompts = prompts;
        }

        /// <summary>
        /// Whether WriteVerbose would show or record anything (-Verbose, or -Debug which implies it,
        /// when given; else $VerbosePreference). Unsure means wanted.
        /// </summary>
        internal bool Verbose { get; }

        /// <summary>The same for WriteDebug (-Debug, else $DebugPreference).</summary>
        internal bool Debug { get; }

        /// <summary>
        /// Whether a message could prompt the user (an <c>Inquire</c> preference or -XxxAction, or
        /// -Debug on Windows PowerShell, where it means Inquire). Such calls take the worker path: a
        /// prompt written from the native callback would hold the library's I/O driver, and with it
        /// the calls of other runspaces, until the user answers.
        /// </summary>
        internal bool Prompts { get; }

        /// <summary>Reads the preferences of <paramref name="cmdlet"/>'s current invocation.</summary>
        internal static MessagePreferences Read(PSCmdlet cmdlet)
        {
            Dictionary<string, object> bound = cmdlet.MyInvocation.BoundParameters;
            bool? verboseSwitch = Switch(bound, "Verbose");
            bool? debugSwitch = Switch(bound, "Debug");
            ActionPreference? verbosePreference = verboseSwitch == null ? Preference(cmdlet.GetVariableValue("VerbosePreference")) : null;
            ActionPreference? debugPreference = debugSwitch == null ? Preference(cmdlet.GetVariableValue("DebugPreference")) : null;

            bool verbose = verboseSwitch ?? (debugSwitch == true || Wanted(verbosePreference));
            bool debug = debugSwitch ?? Wanted(debugPreference);

            bool prompts = verbosePreference == ActionPreference.Inquire
                || debugPreference == ActionPreference.Inquire
                || ActionOrPreference(cmdlet, bound, "WarningAction", "WarningPreference") == ActionPreference.Inquire
                || ActionOrPreference(cmdlet, bound, "InformationAction", "InformationPreference") == ActionPreference.Inquire;
#if NETFRAMEWORK
            // Windows PowerShell 5.1, the only host of the net472 build: -Debug means Inquire there.
            prompts |= debugSwitch == true;
#endif
            return new MessagePreferences(verbose, debug, prompts);
        }

        /// <summary>
        /// Whether ShouldProcess will ask the user before a change of <paramref name="impact"/>:
        /// -Confirm when given, else $ConfirmPreference (a prompt comes when the impact is at or above
        /// it). -WhatIf never prompts. Used to decide whether a plan is read again after the answer:
        /// the user may have taken minutes, and the policy may have changed meanwhile.
        /// </summary>
        internal static bool ConfirmPrompts(PSCmdlet cmdlet, ConfirmImpact impact)
        {
            Dictionary<string, object> bound = cmdlet.MyInvocation.BoundParameters;
            if (Switch(bound, "WhatIf") == true)
            {
                return false;
            }

            bool? confirm = Switch(bound, "Confirm");
            if (confirm.HasValue)
            {
                return confirm.Value;
            }

            object? value = cmdlet.GetVariableValue("ConfirmPreference");
            value = value is PSObject ps ? ps.BaseObject : value;
            ConfirmImpact preference = value switch
            {
                ConfirmImpact c => c,
                string text when Enum.TryParse(text.Trim(), true, out ConfirmImpact parsed) => parsed,
                _ => ConfirmImpact.High,
            };
            return preference != ConfirmImpact.None && impact >= preference;
        }

        /// <summary>A common switch (-Verbose, -Debug, -Confirm) as given to the command, or null when not given.</summary>
        private static bool? Switch(Dictionary<string, object> bound, string name) =>
            bound.TryGetValue(name, out object? value) ? !(value is SwitchParameter s) || s.IsPresent : (bool?)null;

        /// <summary>The -XxxAction given to the command, else the preference variable.</summary>
        private static ActionPreference? ActionOrPreference(PSCmdlet cmdlet, Dictionary<string, object> bound, string actionParameter, string preferenceVariable) =>
            Preference(bound.TryGetValue(actionParameter, out object? given) ? given : cmdlet.GetVariableValue(preferenceVariable));

        /// <summary>A preference value (enum, or its name as text), or null when it is neither.</summary>
        private static ActionPreference? Preference(object? preference)
        {
            object? value = preference is PSObject ps ? ps.BaseObject : preference;
            if (value is ActionPreference p)
            {
                return p;
            }

            return value is string text && Enum.TryParse(text.Trim(), true, out ActionPreference parsed) ? parsed : (ActionPreference?)null;
        }

        /// <summary>False only for a preference that certainly drops the record (SilentlyContinue, Ignore).</summary>
        private static bool Wanted(ActionPreference? preference) =>
            preference != ActionPreference.SilentlyContinue && preference != ActionPreference.Ignore;
    }
}
