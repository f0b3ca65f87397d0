using System;
using System.Collections.Generic;
using System.Linq;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// A change worked out against the policy as read, before anything is written: what it is now,
    /// what it becomes, each property that changes, and the words -WhatIf and -Confirm show.
    /// Made by <see cref="NativeClient.PlanChange"/> or <see cref="NativeClient.PlanReset"/>; a
    /// change plan is then applied with <see cref="NativeClient.ApplyChange"/>. Dispose it after.
    /// </summary>
    internal sealed class PolicyPlan : IDisposable
    {
        private PolicyPlan(Policy before, Policy after, PolicyChange[] changes, bool hasChanges, string description, string[] warnings, byte[] request)
        {
            Before = before;
            After = after;
            Changes = changes;
            HasChanges = hasChanges;
            Description = description;
            Warnings = warnings;
            Request = request;
        }

        /// <summary>The policy as read.</summary>
        internal Policy Before { get; }

        /// <summary>The policy once the change is applied.</summary>
        internal Policy After { get; }

        /// <summary>Each property that changes, with role names.</summary>
        internal PolicyChange[] Changes { get; }

        /// <summary>Whether anything changes (false: nothing would be sent).</summary>
        internal bool HasChanges { get; }

        /// <summary>The change in words (<c>Source: not set → cloud; …</c>).</summary>
        internal string Description { get; }

        /// <summary>Deprecated roles, IDs outside the catalog, removals of roles that are not there.</summary>
        internal string[] Warnings { get; }

        /// <summary>The change request (UTF-8 JSON) the plan was made for.</summary>
        internal byte[] Request { get; }

        /// <summary>Nothing native to free yet; kept disposable so callers scope it.</summary>
        public void Dispose()
        {
        }

        /// <summary>Reads the Plan JSON of the C ABI.</summary>
        internal static PolicyPlan FromJson(object? json, byte[] request)
        {
            Dictionary<string, object?> plan = JsonTree.AsObject(json, "a plan");
            Policy before = Policy.FromJson(plan["before"]);
            Policy after = Policy.FromJson(plan["after"]);
            return new PolicyPlan(
                before,
                after,
                PolicyChange.FromJson(JsonTree.List(plan, "changes"), before, after),
                JsonTree.Bool(plan, "hasChanges"),
                JsonTree.String(plan, "description") ?? string.Empty,
                JsonTree.List(plan, "warnings").Select(JsonTree.Scalar).Where(w => w != null).Select(w => w!).ToArray(),
                request);
        }
    }
}
