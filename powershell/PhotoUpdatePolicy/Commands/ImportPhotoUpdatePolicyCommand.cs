using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Applies a policy document to one tenant or many.</para>
    /// <para type="description">Each tenant is read and compared with the document; only tenants that
    /// differ are changed, after -WhatIf / -Confirm, with the minimal PATCH. With -BackupPath each
    /// tenant's policy is saved before it is changed (a backup file can be imported to restore).</para>
    /// </summary>
    [Cmdlet(VerbsData.Import, "PhotoUpdatePolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
    [OutputType(typeof(PolicyImportResult))]
    public sealed class ImportPhotoUpdatePolicyCommand : PolicyDocumentCmdlet
    {
        /// <summary>
        /// Where each tenant's policy is saved before it is changed: a folder (one
        /// photoUpdatePolicy-&lt;tenant&gt;-&lt;time&gt;.json per tenant, created when missing), or a file
        /// for a single tenant. If a backup cannot be written, that tenant is not changed.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? BackupPath { get; set; }

        /// <summary>Returns one result per tenant.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>
        /// Says, for each tenant to change, who gains and who loses the ability to change photos
        /// before writing (reads role assignments; RoleManagement.Read.Directory). -WhatIf and the
        /// confirmation prompt show it without this switch; an import without them sends no extra
        /// request unless it is given.
        /// </summary>
        [Parameter]
        public SwitchParameter ShowImpact { get; set; }

        /// <summary>Refuses a -BackupPath that cannot be one before any document or tenant is read.</summary>
        protected override void BeginProcessing()
        {
            if (BackupPath != null)
            {
                ResolveBackupPath(BackupPath);
            }

            base.BeginProcessing();
        }

        /// <summary>Compares every tenant with the document, confirms each change, applies the confirmed ones.</summary>
        internal override void RunDocument(PolicyDocument desired)
        {
            PolicyPlan?[] plans = Array.Empty<PolicyPlan?>();
            try
            {
                bool stops = StopsOnError;
                foreach (FleetTarget t in Targets.Where(t => t.Client == null))
                {
                    Emit(new PolicyImportResult(t.TenantId, "Failed", Array.Empty<PolicyDifference>(), null, null, null, null, null));
                }

                List<FleetTarget> runnable = Targets.Where(t => t.Client != null).ToList();
                var differing = new List<FleetEntry>();
                if (runnable.Count > 0)
                {
                    // Reads only: each tenant read once and the document planned against it, for
                    // -WhatIf and -Confirm and then the write itself. Tenants that need nothing (or
                    // failed) are reported at once; the others are asked about below.
                    List<FleetEntry> read = PlanFleet(runnable, desired, entry =>
                    {
                        string tenant = entry.TenantId ?? entry.Target.Label;
                        if (entry.Exception != null)
                        {
                            ErrorRecord error = entry.Exception.ToErrorRecord(tenant);
                            if (!stops)
                            {
                                WriteError(error);
                            }

                            Emit(new PolicyImportResult(entry.TenantId, "Failed", Array.Empty<PolicyDifference>(), null, null, null, null, error));
                        }
                        else if (entry.NotStarted)
                        {
                            Emit(new PolicyImportResult(entry.TenantId, "NotStarted", Array.Empty<PolicyDifference>(), null, null, null, null, null));
                        }
                        else if (entry.Differences.Length == 0)
                        {
                            WriteVerbose($"The photo update policy of tenant '{tenant}' already matches the document: nothing to send.");
                            Emit(new PolicyImportResult(entry.TenantId, "Unchanged", entry.Differences, entry.Current, entry.Current, null, null, null));
                        }
                        else
                        {
                            differing.Add(entry);
                        }
                    }, out plans);

                    // -ErrorAction Stop and a tenant could not be read: stop before changing any.
                    if (stops)
                    {
                        foreach (FleetEntry entry in differing)
                        {
                            if (read.Any(e => e.Exception != null))
                            {
                                Emit(new PolicyImportResult(entry.TenantId, "NotStarted", entry.Differences, entry.Current, entry.Current, null, null, null));
                            }
                        }

                        ThrowIfStoppedByFailure(read, Array.Empty<string>());
                    }
                }

                var toApply = new List<FleetTarget>();
                var confirmed = new List<PolicyPlan>();
                bool prompted = false;
                foreach (FleetEntry entry in differing.OrderBy(e => runnable.IndexOf(e.Target)))
                {
                    string tenant = entry.TenantId ?? entry.Target.Label;
                    PolicyDifference[] differences = entry.Differences;
                    string change = string.Join("; ", differences.Select(d => d.ToString()));

                    // Each tenant's text carries that tenant's impact (-WhatIf, a prompt, -ShowImpact).
                    PolicyPlan plan = plans[runnable.IndexOf(entry.Target)] ?? throw new InvalidOperationException("A tenant that was read has no plan.");
                    if (ShouldWrite(
                        entry.Target.Client!,
                        plan,
                        $"Import the photo update policy into tenant '{tenant}': {change}",
                        $"Change the photo update policy of tenant '{tenant}'?{System.Environment.NewLine}{string.Join(System.Environment.NewLine, differences.Select(d => d.ToString()))}",
                        ConfirmImpact.Medium,
                        ShowImpact,
                        out bool asked))
                    {
                        toApply.Add(entry.Target);
                        confirmed.Add(plan);
                        prompted |= asked;
                    }
                    else
                    {
                        Emit(new PolicyImportResult(entry.TenantId, "Skipped", differences, entry.Current, entry.Current, null, null, null));
                    }
                }

                if (toApply.Count > 0)
                {
                    // Several tenants always share a folder.
                    string? backup = BackupPath == null ? null : ResolveBackupPath(BackupPath, folder: toApply.Count > 1);
                    // The plans just read are written as they are; after prompts (the user may have
                    // taken minutes) each tenant is read again first.
                    List<FleetEntry> applied = ApplyFleetPlans(toApply, confirmed, desired, backup, prompted, entry =>
                    {
                        // Each tenant's result as soon as it is done; under -ErrorAction Stop a
                        // failure is written last, as the terminating error naming what changed.
                        string tenant = entry.TenantId ?? entry.Target.Label;
                        ErrorRecord? error = entry.Exception?.ToErrorRecord(tenant);
                        if (error != null && !stops)
                        {
                            WriteError(error);
                        }

                        string status = entry.Status switch { "changed" => "Changed", "unchanged" => "Unchanged", "notStarted" => "NotStarted", _ => "Failed" };
                        string? backupFile = entry.BackupPath;
                        if (backupFile != null)
                        {
                            WriteVerbose($"Saved the policy of tenant '{tenant}' before the change to {backupFile}.");
                        }

                        if (entry.Changed)
                        {
                            WriteVerbose($"Changed the photo update policy of tenant '{tenant}': {entry.Description}");
                        }

                        Emit(new PolicyImportResult(entry.TenantId, status, entry.Differences, entry.Previous, entry.Current, backupFile, entry.Description, error, entry.Outcome));
                    });
                    if (stops)
                    {
                        ThrowIfStoppedByFailure(applied, Array.Empty<string>());
                    }
                }
            }
            catch (PhotoPolicyException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(null));
            }
            finally
            {
                foreach (PolicyPlan? plan in plans)
                {
                    plan?.Dispose();
                }
            }
        }

        /// <summary>Writes a result (with -PassThru) as soon as it is known.</summary>
        private void Emit(PolicyImportResult result)
        {
            if (PassThru)
            {
                WriteObject(result);
            }
        }
    }
}
