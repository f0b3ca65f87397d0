using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Compares one tenant or many with a desired photo update policy.</para>
    /// <para type="description">The desired state comes from a policy document (-Path, -InputObject) or
    /// from -Source / -AllowedRoles. Returns one result per tenant (Compliant, Differences, Current,
    /// Desired, CheckedAt), or with -Quiet a single Boolean. Only reads are sent.</para>
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "PhotoUpdatePolicy", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(PolicyTestResult), typeof(bool))]
    public sealed class TestPhotoUpdatePolicyCommand : FleetCmdlet
    {
        private const string PathSet = "Path";
        private const string ObjectSet = "InputObject";
        private const string ValuesSet = "Values";

        /// <summary>The policy document (JSON) holding the desired state.</summary>
        [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>The desired state as an object (Export-PhotoUpdatePolicy output, ConvertFrom-Json, a hashtable) or JSON text.</summary>
        [Parameter(ParameterSetName = ObjectSet, Mandatory = true)]
        [ValidateNotNull]
        public object? InputObject { get; set; }

        /// <summary>The desired source: Cloud, OnPremises or NotSet.</summary>
        [Parameter(ParameterSetName = ValuesSet)]
        [ValidateSet("Cloud", "OnPremises", "NotSet")]
        public string? Source { get; set; }

        /// <summary>The desired allowed roles (names or template IDs); @() for no restriction.</summary>
        [Parameter(ParameterSetName = ValuesSet)]
        [AllowEmptyCollection]
        [ArgumentCompleter(typeof(RoleNameCompleter))]
        public string[]? AllowedRoles { get; set; }

        /// <summary>Returns only True (every tenant matches) or False.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        private PolicyDocument? desired;

        /// <summary>Checks the desired state before any tenant is read.</summary>
        protected override void BeginProcessing()
        {
            string text;
            object? target;
            switch (ParameterSetName)
            {
                case ObjectSet:
                    text = DocumentText(InputObject!);
                    target = InputObject;
                    break;
                case ValuesSet:
                    string? values = PolicyDocument.TextOf(Source, AllowedRoles);
                    if (values == null)
                    {
                        ThrowUsageError("PhotoUpdatePolicy.NoDesiredState", "Nothing to compare: give -Path, -InputObject, -Source or -AllowedRoles.", ErrorCategory.InvalidArgument, null);
                        return;
                    }

                    text = values;
                    target = null;
                    break;
                default:
                    text = ReadDocumentFile(Path!);
                    target = Path;
                    break;
            }

            desired = ParseDocument(text, target);
            WriteVerbose($"Desired state: {desired.Summary}");
        }

        /// <summary>Reads every tenant and writes the results.</summary>
        protected override void EndProcessing()
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
            finally
            {
                DisposeTargets();
            }
        }
    }
}
