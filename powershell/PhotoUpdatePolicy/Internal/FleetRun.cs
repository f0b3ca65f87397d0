using System;
using System.Collections.Generic;
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
    /// Runs one desired state against many tenants in one native call (<c>pup_fleet_run</c>):
    /// <c>test</c> reads each tenant and compares, <c>apply</c> changes the ones that differ.
    /// </summary>
    internal static class FleetRun
    {
        private static readonly NativeCallRunner.NativeCall<FleetCall> RunCall = RunNative;

        /// <summary>
        /// Runs <paramref name="operation"/> for <paramref name="targets"/> (each with a client),
        /// at most <paramref name="throttleLimit"/> tenants at a time, relaying progress through
        /// <paramref name="runner"/>. Throws <see cref="PhotoPolicyException"/> only when the whole
        /// run fails (bad document, cancelled); each tenant's failure is in its entry.
        /// </summary>
        /// <summary>
        /// Runs <paramref name="operation"/> over <paramref name="targets"/>. <paramref name="onEntry"/>
        /// gets each tenant's entry on the pipeline thread as soon as the tenant is done (result
        /// events), so nothing is lost when the run stops; the report repeats them in target order.
        /// <paramref name="stopOnFailure"/>: no tenant starts after the first failure. Ctrl+C stops
        /// gracefully: tenants in flight finish, none start, then the pipeline stops.
        /// </summary>
        internal static FleetReport Run(NativeCallRunner runner, IReadOnlyList<FleetTarget> targets, string operation, PolicyDocument desired, int throttleLimit, string? backupFolder, bool stopOnFailure, Action<FleetEntry> onEntry)
        {
            var request = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["operation"] = operation,
                ["desired"] = desired.Tree,
                ["concurrency"] = (long)Math.Min(throttleLimit, Math.Max(1, targets.Count)),
                ["stopOnFailure"] = stopOnFailure,
            };
            if (backupFolder != null)
            {
                request["backupFolder"] = backupFolder;
            }

            byte[] requestBytes = Utf8.Encode(JsonCodec.Instance.Serialize(request));

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
            Dictionary<string, object?> report;
            try
            {
                report = JsonTree.AsObject(runner.InvokeJson(new FleetCall(targets, requestBytes), RunCall), "a fleet result");
            }
            finally
            {
                runner.ResultHandler = null;
                runner.StopsGracefully = false;
            }

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
            IReadOnlyList<FleetTarget> run = call.Targets;

            // Each handle is kept alive (AddRef) for the whole native call.
            var raw = new IntPtr[run.Count];
            var added = new bool[run.Count];
            try
            {
                for (int i = 0; i < run.Count; i++)
                {
                    ClientHandle client = run[i].Client?.Handle ?? throw new InvalidOperationException("A fleet target has no client.");
                    client.DangerousAddRef(ref added[i]);
                    raw[i] = client.DangerousGetHandle();
                }

                fixed (IntPtr* clients = raw)
                fixed (byte* p = call.Request)
                {
                    return NativeMethods.pup_fleet_run(clients, (UIntPtr)raw.Length, p, (UIntPtr)call.Request.Length, ctx, out result, out error);
                }
            }
            finally
            {
                for (int i = 0; i < run.Count; i++)
                {
                    if (added[i])
                    {
                        run[i].Client!.Handle.DangerousRelease();
                    }
                }
            }
        }

        /// <summary>The state of one fleet call: its targets and the request JSON.</summary>
        private readonly struct FleetCall
        {
            internal FleetCall(IReadOnlyList<FleetTarget> targets, byte[] request)
            {
                Targets = targets;
                Request = request;
            }

            internal IReadOnlyList<FleetTarget> Targets { get; }

            internal byte[] Request { get; }
        }
    }
}
