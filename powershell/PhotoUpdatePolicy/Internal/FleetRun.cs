using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>One tenant of a fleet run: how the user named it and its client (null when it could not be created).</summary>
    internal sealed class FleetTarget
    {
        internal FleetTarget(string label, string? tenantId, NativeClient? client)
        {
            Label = label;
            TenantId = tenantId;
            Client = client;
        }

        internal string Label { get; }

        internal string? TenantId { get; }

        internal NativeClient? Client { get; }
    }

    /// <summary>One tenant's entry of a fleet result.</summary>
    internal sealed class FleetEntry
    {
        private FleetEntry(FleetTarget target, Dictionary<string, object?> json)
        {
            Target = target;
            Status = JsonTree.String(json, "status") ?? "failed";
            TenantId = JsonTree.String(json, "tenantId") ?? target.TenantId;
            Current = json.TryGetValue("current", out object? c) && c != null ? Policy.FromJson(c) : null;
            Previous = json.TryGetValue("previous", out object? p) && p != null ? Policy.FromJson(p) : null;
            BackupPath = JsonTree.String(json, "backupPath");
            Outcome = JsonTree.String(json, "outcome");
            Description = JsonTree.String(json, "description");
            var differences = new List<PolicyDifference>();
            foreach (object? d in JsonTree.List(json, "differences"))
            {
                if (d is Dictionary<string, object?> diff)
                {
                    differences.Add(PolicyDifference.FromJson(diff));
                }
            }

            Differences = differences.ToArray();
            Changed = Status == "changed";
            if (JsonTree.Object(json, "error") is Dictionary<string, object?> error)
            {
                Exception = PhotoPolicyException.FromErrorJson(error);
            }
        }

        /// <summary>The tenant as the user named it.</summary>
        internal FleetTarget Target { get; }

        /// <summary><c>compliant</c>, <c>drifted</c>, <c>unchanged</c>, <c>changed</c> or <c>failed</c>.</summary>
        internal string Status { get; }

        /// <summary>True when this tenant's policy was written.</summary>
        internal bool Changed { get; }

        /// <summary>True when the run stopped before this tenant started (nothing read or written).</summary>
        internal bool NotStarted => Status == "notStarted";

        /// <summary>The tenant ID the service answered for (else the one given).</summary>
        internal string? TenantId { get; }

        /// <summary>Why the tenant failed, when it did.</summary>
        internal PhotoPolicyException? Exception { get; }

        /// <summary>The policy as read (after the change, for an apply).</summary>
        internal Policy? Current { get; }

        /// <summary>The policy before the change (apply only).</summary>
        internal Policy? Previous { get; }

        /// <summary>How the tenant differs from the desired state.</summary>
        internal PolicyDifference[] Differences { get; }

        /// <summary>The backup written before the change, when one was asked for.</summary>
        internal string? BackupPath { get; }

        /// <summary>Apply: <c>Applied</c>, <c>NotApplied</c>, <c>Unknown</c>; null when nothing was written.</summary>
        internal string? Outcome { get; }

        /// <summary>The change in words (apply only).</summary>
        internal string? Description { get; }

        internal static FleetEntry FromJson(Dictionary<string, object?> json, FleetTarget target) => new FleetEntry(target, json);
    }

    /// <summary>What a fleet run reports: one entry per tenant (in order) and a summary.</summary>
    internal sealed class FleetReport
    {
        internal FleetReport(List<FleetEntry> entries, FleetSummary? summary)
        {
            Entries = entries;
            Summary = summary;
        }

        /// <summary>One entry per tenant of the run, in the order given.</summary>
        internal List<FleetEntry> Entries { get; }

        /// <summary>The summary counts (total, compliant, drifted, …, elapsedMs), for the information stream.</summary>
        internal FleetSummary? Summary { get; }
    }

    /// <summary>
    /// Runs one desired state against many tenants in one native call: <c>test</c> reads each
    /// tenant and compares, <c>apply</c> changes the ones that differ (<c>pup_fleet_run</c>); or,
    /// for a confirmed apply, <see cref="Plan"/> reads and plans each tenant once
    /// (<c>pup_fleet_plan_begin</c>) and <see cref="ApplyPlans"/> writes the confirmed plans
    /// (<c>pup_fleet_plan_apply</c>).
    /// </summary>
    internal static class FleetRun
    {
        private static readonly NativeCallRunner.NativeCall<FleetCall> RunCall = RunNative;
        private static readonly NativeCallRunner.NativeCall<FleetCall> PlanCall = PlanNative;
        private static readonly NativeCallRunner.NativeCall<FleetCall> ApplyPlansCall = ApplyPlansNative;

        /// <summary>
        /// Runs <paramref name="operation"/> over <paramref name="targets"/> (each with a client),
        /// at most <paramref name="throttleLimit"/> tenants at a time. <paramref name="onEntry"/>
        /// gets each tenant's entry on the pipeline thread as soon as the tenant is done (result
        /// events), so nothing is lost when the run stops; the report repeats them in target order.
        /// <paramref name="stopOnFailure"/>: no tenant starts after the first failure. Ctrl+C stops
        /// gracefully: tenants in flight finish, none start, then the pipeline stops. Throws
        /// <see cref="PhotoPolicyException"/> only when the whole run fails (bad document,
        /// cancelled); each tenant's failure is in its entry.
        /// </summary>
        internal static FleetReport Run(NativeCallRunner runner, IReadOnlyList<FleetTarget> targets, string operation, PolicyDocument desired, int throttleLimit, string? backupFolder, bool stopOnFailure, Action<FleetEntry> onEntry)
        {
            byte[] request = Request(operation, desired, throttleLimit, targets.Count, stopOnFailure, backupFolder);
            return Report(operation, targets, Invoke(runner, new FleetCall(targets, request), RunCall, onEntry));
        }

        /// <summary>
        /// Reads each of <paramref name="targets"/> once and plans <paramref name="desired"/>
        /// against it; nothing is written. The report is a test's (compliant, drifted, failed,
        /// not started, with the differences); <paramref name="plans"/> has one plan per target
        /// (null for a tenant that failed or was not started), each made with the target's client,
        /// for <see cref="ApplyPlans"/> and the impact shown before confirming. The caller disposes
        /// the plans. Runs as <see cref="Run"/> does.
        /// </summary>
        internal static FleetReport Plan(NativeCallRunner runner, IReadOnlyList<FleetTarget> targets, PolicyDocument desired, int throttleLimit, bool stopOnFailure, Action<FleetEntry> onEntry, out PolicyPlan?[] plans)
        {
            var call = new FleetCall(targets, Request("apply", desired, throttleLimit, targets.Count, stopOnFailure, null), null, 0, new IntPtr[targets.Count]);
            Dictionary<string, object?> report = Invoke(runner, call, PlanCall, onEntry);

            // The library wrote a plan (or null) into every slot: each becomes a plan object at
            // once, so none is lost if reading one fails.
            plans = new PolicyPlan?[targets.Count];
            var handles = new PlanHandle?[targets.Count];
            for (int i = 0; i < targets.Count; i++)
            {
                handles[i] = call.PlansOut![i] == IntPtr.Zero ? null : new PlanHandle(call.PlansOut[i]);
            }

            for (int i = 0; i < targets.Count; i++)
            {
                if (handles[i] is PlanHandle handle)
                {
                    handles[i] = null;
                    plans[i] = PolicyPlan.FromHandle(handle);
                }
            }

            return Report("test", targets, report);
        }

        /// <summary>
        /// Writes <paramref name="plans"/>[i] (from <see cref="Plan"/>) with the client of
        /// <paramref name="targets"/>[i], each plan once: the PATCH of the plan read, or, with
        /// <paramref name="readAgain"/> (the user answered confirmation prompts), a fresh read and
        /// plan first. <paramref name="backupFolder"/>: where each tenant's policy is saved before
        /// its write. The report is an apply's. Runs as <see cref="Run"/> does.
        /// </summary>
        internal static FleetReport ApplyPlans(NativeCallRunner runner, IReadOnlyList<FleetTarget> targets, IReadOnlyList<PolicyPlan> plans, PolicyDocument desired, int throttleLimit, string? backupFolder, bool stopOnFailure, bool readAgain, Action<FleetEntry> onEntry)
        {
            byte[] request = Request("apply", desired, throttleLimit, targets.Count, stopOnFailure, backupFolder);
            var call = new FleetCall(targets, request, plans, readAgain ? NativeMethods.ApplyReread : 0, null);
            return Report("apply", targets, Invoke(runner, call, ApplyPlansCall, onEntry));
        }

        /// <summary>The clients of <paramref name="targets"/>, for a native call over many tenants.</summary>
        internal static SafeHandle[] ClientHandles(IReadOnlyList<FleetTarget> targets)
        {
            var handles = new SafeHandle[targets.Count];
            for (int i = 0; i < targets.Count; i++)
            {
                handles[i] = targets[i].Client?.Handle ?? throw new InvalidOperationException("A fleet target has no client.");
            }

            return handles;
        }

        /// <summary>The fleet request JSON of <c>pup_fleet_run</c> and the fleet plan calls.</summary>
        private static byte[] Request(string operation, PolicyDocument desired, int throttleLimit, int tenants, bool stopOnFailure, string? backupFolder)
        {
            var request = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["operation"] = operation,
                ["desired"] = desired.Tree,
                ["concurrency"] = (long)Math.Min(throttleLimit, Math.Max(1, tenants)),
                ["stopOnFailure"] = stopOnFailure,
            };
            if (backupFolder != null)
            {
                request["backupFolder"] = backupFolder;
            }

            return Utf8.Encode(JsonCodec.Instance.Serialize(request));
        }

        /// <summary>
        /// Makes one fleet call through <paramref name="runner"/>, relaying each tenant's result
        /// event to <paramref name="onEntry"/> as it arrives; returns the report JSON.
        /// </summary>
        private static Dictionary<string, object?> Invoke(NativeCallRunner runner, FleetCall call, NativeCallRunner.NativeCall<FleetCall> native, Action<FleetEntry> onEntry)
        {
            IReadOnlyList<FleetTarget> targets = call.Targets;

            // A fleet run can take minutes and reports progress: it keeps the worker path, which
            // relays progress from whatever thread raises it while the pipeline thread waits.
            runner.Inline = false;
            runner.StopsGracefully = true;
            runner.ResultHandler = json =>
            {
                if (JsonCodec.Instance.Parse(json) is Dictionary<string, object?> item
                    && JsonTree.Long(item, "index") is long index && index >= 0 && index < targets.Count)
                {
                    onEntry(FleetEntry.FromJson(item, targets[(int)index]));
                }
            };
            try
            {
                return JsonTree.AsObject(runner.InvokeJson(call, native), "a fleet result");
            }
            finally
            {
                runner.ResultHandler = null;
                runner.StopsGracefully = false;
            }
        }

        /// <summary>The report JSON as entries in target order and a summary.</summary>
        private static FleetReport Report(string operation, IReadOnlyList<FleetTarget> targets, Dictionary<string, object?> report)
        {
            var entries = new List<FleetEntry>();
            List<object?> results = JsonTree.List(report, "results");
            for (int i = 0; i < results.Count && i < targets.Count; i++)
            {
                if (results[i] is Dictionary<string, object?> item)
                {
                    entries.Add(FleetEntry.FromJson(item, targets[i]));
                }
            }

            Dictionary<string, object?>? summary = JsonTree.Object(report, "summary");
            return new FleetReport(entries, summary == null ? null : new FleetSummary(operation, summary));
        }

        private static unsafe uint RunNative(FleetCall call, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            // Each handle is kept alive for the whole native call.
            using var held = new HeldHandles(ClientHandles(call.Targets));
            fixed (IntPtr* clients = held.Raw)
            fixed (byte* p = call.Request)
            {
                return NativeMethods.pup_fleet_run(clients, (UIntPtr)held.Raw.Length, p, (UIntPtr)call.Request.Length, ctx, out result, out error);
            }
        }

        private static unsafe uint PlanNative(FleetCall call, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            using var held = new HeldHandles(ClientHandles(call.Targets));
            fixed (IntPtr* clients = held.Raw)
            fixed (IntPtr* plans = call.PlansOut)
            fixed (byte* p = call.Request)
            {
                return NativeMethods.pup_fleet_plan_begin(clients, (UIntPtr)held.Raw.Length, p, (UIntPtr)call.Request.Length, ctx, plans, out result, out error);
            }
        }

        private static unsafe uint ApplyPlansNative(FleetCall call, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            using var clientsHeld = new HeldHandles(ClientHandles(call.Targets));
            var planHandles = new SafeHandle[call.Plans!.Count];
            for (int i = 0; i < planHandles.Length; i++)
            {
                planHandles[i] = call.Plans[i].Handle;
            }

            using var plansHeld = new HeldHandles(planHandles);
            fixed (IntPtr* clients = clientsHeld.Raw)
            fixed (IntPtr* plans = plansHeld.Raw)
            fixed (byte* p = call.Request)
            {
                return NativeMethods.pup_fleet_plan_apply(clients, plans, (UIntPtr)clientsHeld.Raw.Length, call.Flags, p, (UIntPtr)call.Request.Length, ctx, out result, out error);
            }
        }

        /// <summary>
        /// The state of one fleet call: its targets, the request JSON, and for the plan calls the
        /// plans to write with their flags, or the slots the library writes new plans into.
        /// </summary>
        private sealed class FleetCall
        {
            internal FleetCall(IReadOnlyList<FleetTarget> targets, byte[] request, IReadOnlyList<PolicyPlan>? plans = null, uint flags = 0, IntPtr[]? plansOut = null)
            {
                Targets = targets;
                Request = request;
                Plans = plans;
                Flags = flags;
                PlansOut = plansOut;
            }

            internal IReadOnlyList<FleetTarget> Targets { get; }

            internal byte[] Request { get; }

            internal IReadOnlyList<PolicyPlan>? Plans { get; }

            internal uint Flags { get; }

            internal IntPtr[]? PlansOut { get; }
        }
    }
}
