using System.Collections.Generic;
using System.Globalization;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// The counts of a run over many tenants (Test- and Import-PhotoUpdatePolicy), written to the
    /// information stream with the tag Summary. Prints as one sentence in logs and transcripts.
    /// </summary>
    public sealed class FleetSummary
    {
        internal FleetSummary(string operation, Dictionary<string, object?> summary)
        {
            Operation = operation == "test" ? "Test" : "Import";
            Total = JsonTree.Long(summary, "total") ?? 0;
            Compliant = JsonTree.Long(summary, "compliant") ?? 0;
            Drifted = JsonTree.Long(summary, "drifted") ?? 0;
            Unchanged = JsonTree.Long(summary, "unchanged") ?? 0;
            Changed = JsonTree.Long(summary, "changed") ?? 0;
            Failed = JsonTree.Long(summary, "failed") ?? 0;
            NotStarted = JsonTree.Long(summary, "notStarted") ?? 0;
            ElapsedMs = JsonTree.Long(summary, "elapsedMs") ?? 0;
            Concurrency = JsonTree.Long(summary, "concurrency") ?? 0;
        }

        /// <summary>Test (reads only) or Import (changes).</summary>
        public string Operation { get; }

        /// <summary>Tenants in the run.</summary>
        public long Total { get; }

        /// <summary>Test: tenants in the desired state.</summary>
        public long Compliant { get; }

        /// <summary>Test: tenants that differ.</summary>
        public long Drifted { get; }

        /// <summary>Import: tenants already in the desired state (nothing written).</summary>
        public long Unchanged { get; }

        /// <summary>Import: tenants changed.</summary>
        public long Changed { get; }

        /// <summary>Tenants that failed.</summary>
        public long Failed { get; }

        /// <summary>Tenants not started because the run was stopped (-ErrorAction Stop, Ctrl+C).</summary>
        public long NotStarted { get; }

        /// <summary>Wall time of the run, milliseconds.</summary>
        public long ElapsedMs { get; }

        /// <summary>Tenants run at once.</summary>
        public long Concurrency { get; }

        /// <summary>One sentence, e.g. "Test of 4 tenants in 0.3 s: 3 compliant, 1 drifted, 0 failed."</summary>
        public override string ToString()
        {
            string counts = Operation == "Test"
                ? $"{Compliant} compliant, {Drifted} drifted, {Failed} failed"
                : $"{Changed} changed, {Unchanged} unchanged, {Failed} failed";
            if (NotStarted > 0)
            {
                counts += $", {NotStarted} not started";
            }

            return string.Format(CultureInfo.InvariantCulture, "{0} of {1} tenant{2} in {3:0.0} s: {4}.", Operation, Total, Total == 1 ? string.Empty : "s", ElapsedMs / 1000.0, counts);
        }
    }
}
