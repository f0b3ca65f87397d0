using System;
using System.Collections.Generic;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// Base of the cmdlets that work on one tenant or a fleet (Test-, Import-PhotoUpdatePolicy,
    /// Get-PhotoUpdateAccess).
    ///
    /// Tenants come from <c>-TenantId a,b,c</c> (sharing one credential set) and/or from pipeline
    /// objects with a <c>TenantId</c> and their own <c>AccessToken</c>. Each record's tenants get a
    /// client in ProcessRecord (credentials resolved by <see cref="Internal.SignInParameters.Build"/>,
    /// so every sign-in mode of the module works per tenant); EndProcessing runs them all in one
    /// native fleet call (<c>pup_fleet_run</c>) with -ThrottleLimit tenants at a time.
    /// </summary>
    public abstract class FleetCmdlet : GraphCmdlet
    {
        private readonly List<FleetTarget> targets = new List<FleetTarget>();

        /// <summary>
        /// One or more tenant IDs or verified domains. Several tenants are processed in parallel, up
        /// to -ThrottleLimit at a time; each gets its own result.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public new string[]? TenantId { get; set; }

        /// <summary>
        /// A Microsoft Graph access token (SecureString or string). From the pipeline, each object's
        /// own AccessToken is used for its tenant.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        public new object? AccessToken { get; set; }

        /// <summary>How many tenants are processed at the same time (1 to 1024).</summary>
        [Parameter]
        [ValidateRange(1, 1024)]
        public int ThrottleLimit { get; set; } = 10;

        /// <summary>The tenants collected so far (with their clients, or why no client could be made).</summary>
        internal IReadOnlyList<FleetTarget> Targets => targets;

        /// <summary>Collects this record's tenants and creates a client for each.</summary>
        protected override void ProcessRecord()
        {
            // The base class reads its own TenantId/AccessToken: hand it this record's values.
            base.AccessToken = AccessToken;
            string?[] tenants = TenantId is { Length: > 0 } ? TenantId : new string?[] { null };
            foreach (string? tenant in tenants)
            {
                base.TenantId = tenant;
                string label = string.IsNullOrWhiteSpace(tenant) ? "the token's tenant" : tenant!.Trim();
                try
                {
                    NativeClient? client = TryCreateClient();
                    targets.Add(new FleetTarget(label, tenant, client));
                }
                finally
                {
                    base.TenantId = null;
                }
            }
        }

        /// <summary>One client per tenant of the run, not kept for later commands.</summary>
        internal override bool ReusesClients => false;

        /// <summary>Frees every client (also after Ctrl+C or a terminating error).</summary>
        protected void DisposeTargets()
        {
            foreach (FleetTarget t in targets)
            {
                t.Client?.Dispose();
            }

            targets.Clear();
        }

        /// <summary>
        /// Runs <paramref name="operation"/> (<c>test</c> or <c>apply</c>) for <paramref name="run"/>
        /// in one native call, pumping its progress and messages, writes the run's summary, and
        /// returns one entry per target (in order). Throws <see cref="PhotoPolicyException"/> only
        /// when the whole run fails (bad document, cancelled).
        /// </summary>
        internal List<FleetEntry> RunFleet(IReadOnlyList<FleetTarget> run, string operation, PolicyDocument desired, string? backupFolder, Action<FleetEntry> onEntry) =>
            Relay(operation, onEntry, relay => FleetRun.Run(Native, run, operation, desired, ThrottleLimit, backupFolder, StopsOnError, relay));

        /// <summary>
        /// Reads each of <paramref name="run"/> once and plans <paramref name="desired"/> against
        /// it, as <see cref="RunFleet"/> runs a test: the entries are a test's, and
        /// <paramref name="plans"/> holds each target's plan (null when it failed or did not
        /// start) for <see cref="ApplyFleetPlans"/>. The caller disposes the plans.
        /// </summary>
        internal List<FleetEntry> PlanFleet(IReadOnlyList<FleetTarget> run, PolicyDocument desired, Action<FleetEntry> onEntry, out PolicyPlan?[] plans)
        {
            PolicyPlan?[]? made = null;
            List<FleetEntry> entries = Relay("test", onEntry, relay => FleetRun.Plan(Native, run, desired, ThrottleLimit, StopsOnError, relay, out made));
            plans = made!;
            return entries;
        }

        /// <summary>
        /// Writes <paramref name="plans"/> (one per target of <paramref name="run"/>, from
        /// <see cref="PlanFleet"/>), as <see cref="RunFleet"/> runs an apply; with
        /// <paramref name="readAgain"/> each tenant is read again first (the user answered prompts).
        /// </summary>
        internal List<FleetEntry> ApplyFleetPlans(IReadOnlyList<FleetTarget> run, IReadOnlyList<PolicyPlan> plans, PolicyDocument desired, string? backupFolder, bool readAgain, Action<FleetEntry> onEntry) =>
            Relay("apply", onEntry, relay => FleetRun.ApplyPlans(Native, run, plans, desired, ThrottleLimit, backupFolder, StopsOnError, readAgain, relay));

        /// <summary>
        /// Runs one fleet call (<paramref name="call"/>, given the relay of tenant entries), writes
        /// its summary and completes its progress; returns the entries in target order.
        /// </summary>
        private List<FleetEntry> Relay(string operation, Action<FleetEntry> onEntry, Func<Action<FleetEntry>, FleetReport> call)
        {
            FleetReport report = call(entry =>
            {
                if (Native.IsStopping)
                {
                    // Ctrl+C: the pipeline takes no more objects, but a tenant that finished after
                    // the stop (a change completed, not cut off) must still be seen.
                    Host.UI.WriteWarningLine($"Finished after the stop: {Describe(entry)}");
                }
                else
                {
                    onEntry(entry);
                }
            });
            if (report.Summary != null)
            {
                WriteVerbose(report.Summary.ToString());
                WriteInformation(report.Summary, new[] { "PhotoUpdatePolicy", "Summary" });
            }

            WriteProgress(new ProgressRecord(1, operation == "test" ? "Testing the photo update policy" : "Applying the photo update policy", "Done") { RecordType = ProgressRecordType.Completed });
            return report.Entries;
        }

        /// <summary>
        /// True when an error must stop the command (-ErrorAction Stop, or $ErrorActionPreference
        /// = 'Stop'): then the run starts no tenant after the first failure, the tenants in flight
        /// finish, every result is written, and one terminating error names what changed.
        /// </summary>
        internal bool StopsOnError
        {
            get
            {
                object? preference = MyInvocation.BoundParameters.TryGetValue("ErrorAction", out object? bound)
                    ? bound
                    : SessionState.PSVariable.GetValue("ErrorActionPreference");
                return preference is ActionPreference action
                    ? action == ActionPreference.Stop
                    : string.Equals(preference?.ToString(), "Stop", StringComparison.OrdinalIgnoreCase);
            }
        }

        /// <summary>A tenant's outcome in one line, for the host after Ctrl+C and for the stop error.</summary>
        internal static string Describe(FleetEntry entry)
        {
            string tenant = entry.TenantId ?? entry.Target.Label;
            return entry.Exception != null
                ? $"tenant '{tenant}' failed: {entry.Exception.BaseMessage}"
                : entry.Changed
                    ? $"tenant '{tenant}' changed ({entry.Description ?? "see its result"})."
                    : $"tenant '{tenant}': {entry.Status}.";
        }

        /// <summary>
        /// A tenant failed under <see cref="StopsOnError"/>: its error, rather than written on its
        /// own (which would stop the command before the other results are out), is written last as
        /// the terminating error, naming the tenants changed before the stop and those not started.
        /// Returns when nothing failed.
        /// </summary>
        internal void ThrowIfStoppedByFailure(IReadOnlyList<FleetEntry> entries, IEnumerable<string> changedBefore)
        {
            FleetEntry? failed = null;
            foreach (FleetEntry e in entries)
            {
                if (e.Exception != null)
                {
                    failed = e;
                    break;
                }
            }

            if (failed == null)
            {
                return;
            }

            var changed = new List<string>(changedBefore);
            foreach (FleetEntry e in entries)
            {
                if (e.Changed)
                {
                    changed.Add(e.TenantId ?? e.Target.Label);
                }
            }

            var notStarted = new List<string>();
            foreach (FleetEntry e in entries)
            {
                if (e.NotStarted)
                {
                    notStarted.Add(e.TenantId ?? e.Target.Label);
                }
            }

            string tenant = failed.TenantId ?? failed.Target.Label;
            string message = $"{MyInvocation.MyCommand.Name} stopped because tenant '{tenant}' failed: {failed.Exception!.BaseMessage} "
                + (changed.Count == 0 ? "No tenant was changed." : $"Changed before the stop: {string.Join(", ", changed)}.")
                + (notStarted.Count == 0 ? string.Empty : $" Not started: {string.Join(", ", notStarted)}.");
            ErrorRecord record = failed.Exception.ToErrorRecord(tenant);
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = record.ErrorDetails?.RecommendedAction };
            ThrowTerminatingError(record);
        }

        /// <summary>Writes a failed tenant's error (non-terminating).</summary>
        internal void WriteTenantError(FleetEntry entry)
        {
            if (entry.Exception != null)
            {
                WriteError(entry.Exception.ToErrorRecord(entry.TenantId ?? entry.Target.Label));
            }
        }
    }
}
