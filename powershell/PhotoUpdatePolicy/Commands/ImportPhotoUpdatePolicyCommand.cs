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
                    // Reads only: what each tenant would get, for -WhatIf and -Confirm. Tenants that
                    // need nothing (or failed) are reported at once; the others are asked about below.
                    List<FleetEntry> read = RunFleet(runnable, "test", desired!, null, entry =>
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
                    });

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
                foreach (FleetEntry entry in differing.OrderBy(e => runnable.IndexOf(e.Target)))
                {
                    string tenant = entry.TenantId ?? entry.Target.Label;
                    PolicyDifference[] differences = entry.Differences;
                    string change = string.Join("; ", differences.Select(d => d.ToString()));
                    if (ShouldProcess(
                        $"Import the photo update policy into tenant '{tenant}': {change}",
                        $"Change the photo update policy of tenant '{tenant}'?{System.Environment.NewLine}{string.Join(System.Environment.NewLine, differences.Select(d => d.ToString()))}",
                        "Import-PhotoUpdatePolicy"))
                    {
                        toApply.Add(entry.Target);
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
                    List<FleetEntry> applied = RunFleet(toApply, "apply", desired!, backup, entry =>
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
