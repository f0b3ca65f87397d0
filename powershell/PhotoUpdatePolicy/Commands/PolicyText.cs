using System.Collections.Generic;
using System.Linq;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>Texts shared by the cmdlets that change the policy.</summary>
    internal static class PolicyText
    {
        /// <summary>A one-line description of a policy for Verbose and ShouldProcess texts.</summary>
        internal static string Describe(Policy policy) =>
            $"Source={policy.Source}; AllowedRoles={(policy.EveryoneCanChangePhoto ? "(none: every user can change their own photo)" : string.Join(", ", policy.AllowedRoles.Select(r => r.ToString())))}";

        /// <summary>The changes as indented lines (used in the confirmation prompt).</summary>
        internal static string Lines(IEnumerable<PolicyChange> changes) =>
            string.Join(System.Environment.NewLine, changes.Select(c => "  " + c));
    }
}
