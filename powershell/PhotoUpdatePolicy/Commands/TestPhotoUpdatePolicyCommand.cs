using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Compares one tenant or many with a desired photo update policy.</para>
    /// <para type="description">The desired state comes from a policy document (-Path, -LiteralPath,
    /// -InputObject, or files and documents piped in) or from -Source / -AllowedRoles. Returns one
    /// result per tenant and document (Compliant, Differences, Current, Desired, CheckedAt), or with
    /// -Quiet one Boolean per document. Only reads are sent.</para>
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "PhotoUpdatePolicy", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(PolicyTestResult), typeof(bool))]
    public sealed class TestPhotoUpdatePolicyCommand : PolicyDocumentCmdlet
    {
        private const string ValuesSet = "Values";

        /// <summary>The desired source: Cloud, OnPremises or NotSet.</summary>
        [Parameter(ParameterSetName = ValuesSet)]
        [ValidateSet("Cloud", "OnPremises", "NotSet")]
        public string? Source { get; set; }

        /// <summary>The desired allowed roles (names or template IDs); @() for no restriction.</summary>
        [Parameter(ParameterSetName = ValuesSet)]
        [AllowEmptyCollection]
        [ArgumentCompleter(typeof(RoleNameCompleter))]
        public string[]? AllowedRoles { get; set; }

        /// <summary>Returns only True (every tenant matches the document) or False, one Boolean per document.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <summary>-Source or -AllowedRoles given: the desired state comes from them.</summary>
        internal override bool HasOtherDesiredState =>
            MyInvocation.BoundParameters.ContainsKey(nameof(Source)) || MyInvocation.BoundParameters.ContainsKey(nameof(AllowedRoles));

        /// <summary>The desired state of -Source and -AllowedRoles as document text (null when neither is given).</summary>
        internal override string? OtherDesiredStateText() => PolicyDocument.TextOf(Source, AllowedRoles);

        /// <summary>Reads every tenant and writes the results (with -Quiet, one Boolean for the document).</summary>
        internal override void RunDocument(PolicyDocument desired)
        {
            try
            {
                object? desiredObject = desired!.ToPSObject();
                var results = new List<PolicyTestResult>();
                foreach (FleetTarget t in Targets.Where(t => t.Client == null))
                {
                    var failed = new PolicyTestResult(t.TenantId, "Failed", Array.Empty<PolicyDifference>(), null, desiredObject, DateTime.UtcNow, null);
                    results.Add(failed);
                    if (!Quiet)
                    {
                        WriteObject(failed);
                    }
                }

                List<FleetTarget> runnable = Targets.Where(t => t.Client != null).ToList();
                if (runnable.Count > 0)
                {
                    bool stops = StopsOnError;
                    List<FleetEntry> entries = RunFleet(runnable, "test", desired, null, entry =>
                    {
                        // Each tenant's result as soon as it is known. Under -ErrorAction Stop a
                        // failure is written last, as the terminating error.
                        ErrorRecord? error = entry.Exception?.ToErrorRecord(entry.TenantId ?? entry.Target.Label);
                        if (error != null && !stops)
                        {
                            WriteError(error);
                        }

                        string status = entry.Status switch { "compliant" => "Compliant", "drifted" => "Drifted", "notStarted" => "NotStarted", _ => "Failed" };
                        var result = new PolicyTestResult(entry.TenantId, status, entry.Differences, entry.Current, desiredObject, DateTime.UtcNow, error);
                        results.Add(result);
                        if (!Quiet)
                        {
                            WriteObject(result);
                        }
                    });
                    if (stops)
                    {
                        ThrowIfStoppedByFailure(entries, Array.Empty<string>());
                    }
                }

                if (Quiet)
                {
                    WriteObject(results.Count > 0 && results.All(r => r.Compliant));
                }
            }
            catch (PhotoPolicyException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(null));
            }
        }
    }
}
