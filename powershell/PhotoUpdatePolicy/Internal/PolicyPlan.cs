using System;
using System.Collections.Generic;
using System.Linq;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// A change worked out against the policy as read, before anything is written: what it is now,
    /// what it becomes, each property that changes, and the words -WhatIf and -Confirm show.
    /// Made by <see cref="NativeClient.PlanChange"/> or <see cref="NativeClient.PlanReset"/>, it
    /// holds the native plan, which <see cref="NativeClient.ApplyChange"/> or
    /// <see cref="NativeClient.Reset"/> writes without reading the policy again. Dispose it after.
    /// </summary>
    internal sealed class PolicyPlan : IDisposable
    {
        private PolicyPlan(Policy before, Policy after, PolicyChange[] changes, bool hasChanges, string description, string[] warnings, PlanHandle handle)
        {
            Before = before;
            After = after;
            Changes = changes;
            HasChanges = hasChanges;
            Description = description;
            Warnings = warnings;
            Handle = handle;
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

        /// <summary>The native plan (<c>PupPlan*</c>).</summary>
        internal PlanHandle Handle { get; }

        /// <summary>Frees the native plan.</summary>
        public void Dispose() => Handle.Dispose();

        /// <summary>Reads the Plan JSON of a native plan; the plan takes over <paramref name="handle"/>.</summary>
        internal static PolicyPlan FromHandle(PlanHandle handle)
        {
            try
            {
                uint rc = NativeMethods.pup_plan_json(handle, out IntPtr ptr, out UIntPtr len);
                if (rc != 0)
                {
                    throw new InvalidOperationException($"pup_plan_json failed with status {(PhotoPolicyStatus)rc}.");
                }

                return FromJson(JsonCodec.Instance.Parse(Utf8.Decode(ptr, len) ?? string.Empty), handle);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>Reads the Plan JSON of the C ABI.</summary>
        private static PolicyPlan FromJson(object? json, PlanHandle handle)
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
                handle);
        }
    }
}
