using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// The tenant's profile photo update policy (Graph <c>photoUpdateSettings</c>), as read.
    /// </summary>
    public class Policy
    {
        /// <summary>Creates a policy object.</summary>
        public Policy(string? tenantId, string cloud, string source, IEnumerable<RoleRef> allowedRoles, IDictionary additionalProperties)
        {
            TenantId = tenantId;
            Cloud = cloud;
            Source = source;
            AllowedRoles = DisplayList.Of(allowedRoles);
            AdditionalProperties = additionalProperties as PropertyBag ?? new PropertyBag(additionalProperties);
        }

        /// <summary>Copies another policy (used by result types that extend a policy).</summary>
        protected Policy(Policy other)
            : this(other.TenantId, other.Cloud, other.Source, other.AllowedRoles, other.AdditionalProperties)
        {
        }

        /// <summary>The tenant the policy belongs to.</summary>
        public string? TenantId { get; }

        /// <summary>The national cloud (Global, USGov, USGovDoD, China).</summary>
        public string Cloud { get; }

        /// <summary>
        /// Where photos may be changed: <c>Cloud</c>, <c>OnPremises</c>, <c>NotSet</c> (tenant default:
        /// either side), or the service's value verbatim when this module does not know it.
        /// </summary>
        public string Source { get; }

        /// <summary>Roles allowed to change users' photos; empty means no restriction.</summary>
        public DisplayList<RoleRef> AllowedRoles { get; }

        /// <summary>True when no role restriction is set: every user may change their own photo.</summary>
        public bool EveryoneCanChangePhoto => AllowedRoles.Count == 0;

        /// <summary>Properties the service sent that this module does not model (kept, never dropped).</summary>
        public PropertyBag AdditionalProperties { get; }

        /// <summary>A one-line summary.</summary>
        public override string ToString() =>
            $"Source: {Source}; AllowedRoles: {(EveryoneCanChangePhoto ? "(none: everyone can change their photo)" : string.Join(", ", AllowedRoles.Select(r => r.ToString())))}";

        /// <summary>The display form of a wire <c>source</c> value.</summary>
        internal static string DisplaySource(string? wire)
        {
            if (wire == null)
            {
                return "NotSet";
            }

            if (string.Equals(wire, "cloud", StringComparison.OrdinalIgnoreCase))
            {
                return "Cloud";
            }

            if (string.Equals(wire, "onPremises", StringComparison.OrdinalIgnoreCase))
            {
                return "OnPremises";
            }

            return wire;
        }

        /// <summary>Reads the Policy JSON of the C ABI.</summary>
        internal static Policy FromJson(object? value)
        {
            Dictionary<string, object?> obj = JsonTree.AsObject(value, "a policy");
            var roles = new List<RoleRef>();
            foreach (object? item in JsonTree.List(obj, "allowedRoles"))
            {
                if (item is Dictionary<string, object?> role)
                {
                    roles.Add(new RoleRef(
                        JsonTree.String(role, "name"),
                        JsonTree.String(role, "id") ?? string.Empty,
                        JsonTree.Bool(role, "known")));
                }
            }

            var extra = JsonTree.Object(obj, "additionalProperties");
            var additional = extra != null
                ? (OrderedDictionary)JsonTree.ToPowerShell(extra)!
                : new OrderedDictionary(StringComparer.OrdinalIgnoreCase);

            return new Policy(
                JsonTree.String(obj, "tenantId"),
                JsonTree.String(obj, "cloud") ?? "Global",
                DisplaySource(JsonTree.String(obj, "source")),
                roles.ToArray(),
                additional);
        }
    }

    /// <summary>The policy after <c>Set-PhotoUpdatePolicy -PassThru</c>, with what it was before.</summary>
    public sealed class PolicySetResult : Policy
    {
        /// <summary>Creates a result.</summary>
        public PolicySetResult(Policy current, Policy previous, IEnumerable<PolicyChange> changes, string? description, bool applied, string? outcome = null)
            : base(current)
        {
            PreviousPolicy = previous;
            Changes = DisplayList.Sentences(changes);
            Description = description;
            Applied = applied;
            Outcome = outcome;
        }

        /// <summary>The policy before the change.</summary>
        public Policy PreviousPolicy { get; }

        /// <summary>What changed (empty when the policy already matched).</summary>
        public DisplayList<PolicyChange> Changes { get; }

        /// <summary>The change in words, as shown by -WhatIf and -Confirm.</summary>
        public string? Description { get; }

        /// <summary>Whether a write was sent.</summary>
        public bool Applied { get; }

        /// <summary>
        /// What the write did, as read back: <c>Applied</c>; null when nothing had to change. A write
        /// that was refused or whose answer was lost is an error whose exception carries
        /// <c>NotApplied</c> or <c>Unknown</c> instead.
        /// </summary>
        public string? Outcome { get; }
    }

    /// <summary>The policy after <c>Reset-PhotoUpdatePolicy -PassThru</c>.</summary>
    public sealed class PolicyResetResult : Policy
    {
        /// <summary>Creates a result.</summary>
        public PolicyResetResult(Policy current, Policy previous, IEnumerable<PolicyChange> changes, string resetMethod, bool verified)
            : base(current)
        {
            PreviousPolicy = previous;
            Changes = DisplayList.Sentences(changes);
            ResetMethod = resetMethod;
            Verified = verified;
        }

        /// <summary>The policy before the reset.</summary>
        public Policy PreviousPolicy { get; }

        /// <summary>What the reset changed.</summary>
        public DisplayList<PolicyChange> Changes { get; }

        /// <summary>How the reset was done: <c>Patch</c>, <c>Delete</c> or <c>AlreadyDefault</c>.</summary>
        public string ResetMethod { get; }

        /// <summary>Whether reading the policy back proved it is at the default.</summary>
        public bool Verified { get; }
    }
}
