using System;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Changes the tenant's profile photo update policy.</para>
    /// <para type="description">Computes the change first (only the properties that differ are sent),
    /// shows it for -WhatIf / -Confirm, then writes it. An unchanged policy sends nothing.</para>
    /// </summary>
    /// <remarks>
    /// Piping a Policy from Get-PhotoUpdatePolicy binds only TenantId and Environment (Cloud): the
    /// policy's Source and AllowedRoles deliberately do not bind, so piping never re-sends the old
    /// roles or source over a concurrent change; the change comes only from explicit parameters.
    /// </remarks>
    [Cmdlet(VerbsCommon.Set, "PhotoUpdatePolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
        DefaultParameterSetName = ModifySet)]
    [OutputType(typeof(PolicySetResult))]
    public sealed class SetPhotoUpdatePolicyCommand : GraphCmdlet
    {
        private const string ModifySet = "ModifyRoles";
        private const string ReplaceSet = "ReplaceRoles";

        /// <summary>Where photos may be changed: Cloud, OnPremises, or NotSet (tenant default).</summary>
        [Parameter(ParameterSetName = ModifySet)]
        [Parameter(ParameterSetName = ReplaceSet)]
        [ValidateSet("Cloud", "OnPremises", "NotSet")]
        public string? Source { get; set; }

        /// <summary>
        /// The complete list of roles allowed to change photos, by name or template ID. An empty list
        /// (@()) lifts the restriction: every user may change their own photo.
        /// </summary>
        [Parameter(ParameterSetName = ReplaceSet, Mandatory = true)]
        [AllowEmptyCollection]
        [ArgumentCompleter(typeof(RoleNameCompleter))]
        public string[] AllowedRoles { get; set; } = Array.Empty<string>();

        /// <summary>Roles to add to the allowed roles, by name or template ID.</summary>
        [Parameter(ParameterSetName = ModifySet)]
        [Alias("AddAllowedRoles")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RoleNameCompleter))]
        public string[]? AddAllowedRole { get; set; }

        /// <summary>Roles to remove from the allowed roles, by name or template ID.</summary>
        [Parameter(ParameterSetName = ModifySet)]
        [Alias("RemoveAllowedRoles")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RoleNameCompleter))]
        public string[]? RemoveAllowedRole { get; set; }

        /// <summary>Accepts role template IDs that are not in the module's role catalog.</summary>
        [Parameter]
        public SwitchParameter AllowUnknownRoleId { get; set; }

        /// <summary>
        /// Sends roles that hold the photo permission but that the service refuses in allowed roles
        /// (Directory Writers, Intune Administrator, Partner Tier1/Tier2 Support), with a warning.
        /// Without it they are refused before anything is sent.
        /// </summary>
        [Parameter]
        public SwitchParameter AllowRefusedRole { get; set; }

        /// <summary>Returns the policy after the change, with PreviousPolicy and Changes.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>
        /// A file, or a folder (photoUpdatePolicy-&lt;tenant&gt;-&lt;time&gt;.json), where the policy is saved
        /// before the change; if it cannot be saved, nothing is changed. Restore with Import-PhotoUpdatePolicy.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? BackupPath { get; set; }

        /// <summary>
        /// Says who gains and who loses the ability to change photos before writing (reads role
        /// assignments; RoleManagement.Read.Directory). -WhatIf and the confirmation prompt show it
        /// without this switch; a plain Set sends no extra request unless it is given.
        /// </summary>
        [Parameter]
        public SwitchParameter ShowImpact { get; set; }

        /// <summary>Plans, confirms and applies the change for each input record.</summary>
        protected override void ProcessRecord()
        {
            PolicyChangeRequest change = BuildChange();
            using NativeClient? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            try
            {
                using PolicyPlan plan = client.PlanChange(change);
                foreach (string warning in plan.Warnings)
                {
                    WriteWarning(warning);
                }

                string tenant = TenantLabel(plan.Before.TenantId);
                if (!plan.HasChanges)
                {
                    string message = $"The photo update policy of {tenant} already matches ({PolicyText.Describe(plan.Before)}): nothing was sent.";
                    WriteVerbose(message);
                    WriteInformation(new InformationRecord(message, MyInvocation.MyCommand.Name), new[] { "PhotoUpdatePolicy", "NoChange" });
                    WriteWhatIfNothing($"Set the photo update policy of {tenant}: nothing to do, it already matches ({PolicyText.Describe(plan.Before)}); nothing would be sent.");
                    if (PassThru)
                    {
                        WriteObject(new PolicySetResult(plan.Before, plan.Before, Array.Empty<PolicyChange>(), plan.Description, applied: false));
                    }

                    return;
                }

                // After a prompt the user may have taken minutes: the policy is read again before
                // the write. Without one, the plan just read is applied as it is.
                if (!ShouldWrite(
                    client,
                    plan,
                    $"Set the photo update policy of {tenant}: {plan.Description}",
                    $"Change the photo update policy of {tenant}?{System.Environment.NewLine}{PolicyText.Lines(plan.Changes)}",
                    ConfirmImpact.Medium,
                    ShowImpact,
                    out bool prompted))
                {
                    return;
                }

                PolicySetResult result = client.ApplyChange(plan, readAgain: prompted);

                // After a write the core itself warns that changes take up to 24 hours to apply
                // (a warning event, relayed above), so the cmdlet does not repeat it.
                if (!result.Applied)
                {
                    WriteVerbose($"The photo update policy of {tenant} already matched when the change was applied: nothing was written.");
                }

                if (PassThru)
                {
                    WriteObject(result);
                }
                else
                {
                    WriteVerbose($"Previous photo update policy of {tenant}: {PolicyText.Describe(result.PreviousPolicy)}");
                }
            }
            catch (PhotoPolicyException ex) when (IsRoleError(ex, change))
            {
                // A role the core refused while resolving the change, before anything was sent.
                var record = ex.ToErrorRecord(ex.Target, "PhotoUpdatePolicy.InvalidRole");
                if (string.IsNullOrEmpty(ex.RecommendedAction))
                {
                    record.ErrorDetails.RecommendedAction = "Use a role name from Get-PhotoUpdatePolicyRole (Tab completes them), or a role template ID with -AllowUnknownRoleId.";
                }

                ThrowTerminatingError(record);
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, TenantId);
            }
        }

        /// <summary>
        /// Whether <paramref name="error"/> is about one of the role values given: an invalid value
        /// whose target is that value (as given, or quoted and shortened as the core shows a long one).
        /// </summary>
        private static bool IsRoleError(PhotoPolicyException error, PolicyChangeRequest change)
        {
            if ((error.Status != PhotoPolicyStatus.InvalidArgument && error.Status != PhotoPolicyStatus.InvalidUtf8) || error.Target == null)
            {
                return false;
            }

            string shown = error.Target.Trim('\'', '\u2026');
            return change.RoleValues().Any(role =>
                string.Equals(role, error.Target, StringComparison.Ordinal)
                || (shown.Length > 0 && error.Target.StartsWith("'", StringComparison.Ordinal) && role.StartsWith(shown, StringComparison.Ordinal)));
        }

        /// <summary>The change request, from the bound parameters only.</summary>
        private PolicyChangeRequest BuildChange()
        {
            var change = new PolicyChangeRequest
            {
                // ValidateSet already accepted it case-insensitively; the core reads any casing.
                Source = Source,
                AllowedRoles = ParameterSetName == ReplaceSet ? AllowedRoles : null,
                AddAllowedRoles = AddAllowedRole,
                RemoveAllowedRoles = RemoveAllowedRole,
                AllowUnknownRoleIds = AllowUnknownRoleId.IsPresent,
                AllowServiceRefusedRoles = AllowRefusedRole.IsPresent,
            };

            if (change.IsEmpty)
            {
                ThrowUsageError(
                    "PhotoUpdatePolicy.NoChangeRequested",
                    "Nothing to change: specify -Source, -AllowedRoles, -AddAllowedRole or -RemoveAllowedRole.",
                    ErrorCategory.InvalidArgument,
                    null,
                    "Example: Set-PhotoUpdatePolicy -Source Cloud -AllowedRoles 'People Administrator'.");
            }

            if (BackupPath != null)
            {
                change.BackupPath = ResolveBackupPath(BackupPath);
            }

            return change;
        }
    }
}
