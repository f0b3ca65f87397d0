using System;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// The confirmation of a planned write, shared by Set-, Reset- and Import-PhotoUpdatePolicy:
    /// ShouldProcess with the plan's words and, when they are shown (-WhatIf, a confirmation
    /// prompt) or asked for (-ShowImpact), who gains and who loses the ability to change photos.
    /// </summary>
    public abstract partial class GraphCmdlet
    {
        /// <summary>
        /// Asks ShouldProcess about <paramref name="plan"/> (made with <paramref name="client"/>):
        /// <paramref name="whatIf"/> is the -WhatIf line, <paramref name="query"/> the prompt. Under
        /// -WhatIf, before a prompt, or with <paramref name="showImpact"/>, the impact of the plan
        /// (read from the directory; the policy is not read again) is added to both, and with
        /// <paramref name="showImpact"/> also written to the verbose and information streams
        /// (tag Impact). Otherwise nothing more is sent. <paramref name="prompted"/> says whether a
        /// prompt was shown (at <paramref name="impact"/>, the cmdlet's ConfirmImpact): the user
        /// may have taken minutes, so the write reads the policy again.
        /// </summary>
        internal bool ShouldWrite(NativeClient client, PolicyPlan plan, string whatIf, string query, ConfirmImpact impact, bool showImpact, out bool prompted)
        {
            prompted = MessagePreferences.ConfirmPrompts(this, impact);
            if (showImpact || prompted || WhatIfInEffect())
            {
                string lines = ImpactText(client, plan);
                whatIf += System.Environment.NewLine + lines;
                query += System.Environment.NewLine + lines;
                if (showImpact)
                {
                    WriteVerbose(lines);
                    WriteInformation(new InformationRecord(lines, MyInvocation.MyCommand.Name), new[] { "PhotoUpdatePolicy", "Impact" });
                }
            }

            return ShouldProcess(whatIf, query, MyInvocation.MyCommand.Name);
        }

        /// <summary>Whether -WhatIf is in effect for this command (the switch, else $WhatIfPreference).</summary>
        private bool WhatIfInEffect()
        {
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? given))
            {
                return given is SwitchParameter s ? s.IsPresent : given is bool b && b;
            }

            object? preference = GetVariableValue("WhatIfPreference");
            preference = preference is PSObject ps ? ps.BaseObject : preference;
            return preference is SwitchParameter sp ? sp.IsPresent : preference is bool on && on;
        }

        /// <summary>Who gains and who loses the ability to change photos, in lines; never fails the write.</summary>
        private static string ImpactText(NativeClient client, PolicyPlan plan)
        {
            try
            {
                return string.Join(System.Environment.NewLine, client.AccessImpact(plan).Lines);
            }
            catch (PhotoPolicyException ex) when (ex.Status != PhotoPolicyStatus.Cancelled)
            {
                return "Who gains or loses the ability to change photos is not shown: " + ex.Message;
            }
        }
    }
}
