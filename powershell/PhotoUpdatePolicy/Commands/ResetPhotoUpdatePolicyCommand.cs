using System;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Resets the profile photo update policy to the tenant default.</para>
    /// <para type="description">The default: no Source (photos may be changed on either side) and no
    /// role restriction. The reset is verified by reading the policy back; if the service refuses the
    /// first method (PATCH with nulls) the documented fallback (DELETE) is tried.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Reset, "PhotoUpdatePolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(PolicyResetResult))]
    public sealed class ResetPhotoUpdatePolicyCommand : GraphCmdlet
    {
        /// <summary>Returns the policy after the reset, with PreviousPolicy, Changes, ResetMethod and Verified.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>
        /// A file, or a folder (photoUpdatePolicy-&lt;tenant&gt;-&lt;time&gt;.json), where the policy is saved
        /// before the reset; if it cannot be saved, nothing is changed. Restore with Import-PhotoUpdatePolicy.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? BackupPath { get; set; }

        /// <summary>
        /// Says who gains and who loses the ability to change photos before the reset (reads role
        /// assignments; RoleManagement.Read.Directory): with no role restriction every user may
        /// change their own photo. -WhatIf and the confirmation prompt show it without this
        /// switch; a reset without them sends no extra request unless it is given.
        /// </summary>
        [Parameter]
        public SwitchParameter ShowImpact { get; set; }

        /// <summary>Confirms, resets and verifies for each input record.</summary>
        protected override void ProcessRecord()
        {
            // A path that cannot be a backup is refused before the policy is read.
            string? backup = BackupPath == null ? null : ResolveBackupPath(BackupPath);
            using NativeClient? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            try
            {
                using PolicyPlan plan = client.PlanReset(backup);
                Policy before = plan.Before;
                string tenant = TenantLabel(before.TenantId);

                if (!plan.HasChanges)
                {
                    string message = $"The photo update policy of {tenant} is already at the default ({PolicyText.Describe(before)}): nothing was sent.";
                    WriteVerbose(message);
                    WriteInformation(new InformationRecord(message, MyInvocation.MyCommand.Name), new[] { "PhotoUpdatePolicy", "NoChange" });
                    WriteWhatIfNothing($"Reset the photo update policy of {tenant}: nothing to do, it is already at the default ({PolicyText.Describe(before)}); nothing would be sent.");
                    if (PassThru)
                    {
                        WriteObject(new PolicyResetResult(before, before, Array.Empty<PolicyChange>(), "AlreadyDefault", verified: true));
                    }

                    return;
                }

                // After a prompt the user may have taken minutes: the policy is read again before
                // the reset. Without one, the plan just read is written as it is.
                if (!ShouldWrite(
                    client,
                    plan,
                    $"Reset the photo update policy of {tenant} to the default (Source=NotSet, no role restriction); now {PolicyText.Describe(before)}",
                    $"Reset the photo update policy of {tenant} to the default?{System.Environment.NewLine}{PolicyText.Lines(plan.Changes)}",
                    ConfirmImpact.High,
                    ShowImpact,
                    out bool prompted))
                {
                    return;
                }

                PolicyResetResult result = client.Reset(plan, readAgain: prompted);
                WriteVerbose($"Reset of {tenant} used {result.ResetMethod}; verified by reading back: {result.Verified}.");
                if (!result.Verified)
                {
                    WriteWarning($"The reset of {tenant} could not be verified by reading the policy back: now {PolicyText.Describe(result)}.");
                }

                // The 24-hour propagation warning after a write comes from the core as an event.
                if (PassThru)
                {
                    WriteObject(result);
                }
                else
                {
                    WriteVerbose($"Previous photo update policy of {tenant}: {PolicyText.Describe(result.PreviousPolicy)}");
                }
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, TenantId);
            }
        }
    }
}
