using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

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

        /// <summary>Plans, confirms and applies the change for each input record.</summary>
        protected override void ProcessRecord()
        {
            Dictionary<string, object?> change = BuildChange();
            ValidateRoles();
            string changeJson = JsonCodec.Instance.Serialize(change);
            byte[] changeBytes = Utf8.Encode(changeJson);

            using ClientHandle? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            try
            {
                Dictionary<string, object?> plan = JsonTree.AsObject(
                    Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) =>
                        Plan(client, changeBytes, ctx, out r, out e, apply: false)),
                    "a plan");
                foreach (object? warning in JsonTree.List(plan, "warnings"))
                {
                    WriteWarning(JsonTree.Scalar(warning) ?? string.Empty);
                }

                Policy before = Policy.FromJson(plan["before"]);
                string tenant = TenantLabel(before.TenantId);
                string description = JsonTree.String(plan, "description") ?? string.Empty;
                PolicyChange[] planned = PolicyChange.FromJson(JsonTree.List(plan, "changes"), before, Policy.FromJson(plan["after"]));

                if (!JsonTree.Bool(plan, "hasChanges"))
                {
                    string message = $"The photo update policy of {tenant} already matches ({PolicyText.Describe(before)}): nothing was sent.";
                    WriteVerbose(message);
                    WriteInformation(new InformationRecord(message, MyInvocation.MyCommand.Name), new[] { "PhotoUpdatePolicy", "NoChange" });
                    if (PassThru)
                    {
                        WriteObject(new PolicySetResult(before, before, Array.Empty<PolicyChange>(), description, applied: false));
                    }

                    return;
                }

                string whatIf = $"Set the photo update policy of {tenant}: {description}";
                string query = $"Change the photo update policy of {tenant}?{System.Environment.NewLine}{PolicyText.Lines(planned)}";
                if (!ShouldProcess(whatIf, query, "Set-PhotoUpdatePolicy"))
                {
                    return;
                }

                Dictionary<string, object?> applied = JsonTree.AsObject(
                    Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) =>
                        Plan(client, changeBytes, ctx, out r, out e, apply: true)),
                    "an apply result");
                Policy previous = Policy.FromJson(applied["previous"]);
                Policy current = Policy.FromJson(applied["current"]);
                Dictionary<string, object?> appliedPlan = JsonTree.Object(applied, "plan") ?? plan;
                PolicyChange[] changes = PolicyChange.FromJson(JsonTree.List(appliedPlan, "changes"), previous, current);
                bool wrote = JsonTree.Bool(applied, "applied");

                // After a write the core itself warns that changes take up to 24 hours to apply
                // (a warning event, relayed above), so the cmdlet does not repeat it.
                if (!wrote)
                {
                    WriteVerbose($"The photo update policy of {tenant} already matched when the change was applied: nothing was written.");
                }

                if (PassThru)
                {
                    WriteObject(new PolicySetResult(current, previous, changes, JsonTree.String(appliedPlan, "description"), wrote));
                }
                else
                {
                    WriteVerbose($"Previous photo update policy of {tenant}: {PolicyText.Describe(previous)}");
                }
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, TenantId);
            }
        }

        private static unsafe uint Plan(ClientHandle client, byte[] change, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error, bool apply)
        {
            fixed (byte* p = change)
            {
                return apply
                    ? NativeMethods.pup_policy_apply(client, p, (UIntPtr)change.Length, ctx, out result, out error)
                    : NativeMethods.pup_policy_plan(client, p, (UIntPtr)change.Length, ctx, out result, out error);
            }
        }

        /// <summary>The change request of docs/c-abi.md, from the bound parameters only.</summary>
        private Dictionary<string, object?> BuildChange()
        {
            var change = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (Source != null)
            {
                // ValidateSet already accepted it case-insensitively; send the wire's camel case.
                change["source"] = Source.ToUpperInvariant() switch
                {
                    "CLOUD" => "cloud",
                    "ONPREMISES" => "onPremises",
                    _ => "notSet",
                };
            }

            if (ParameterSetName == ReplaceSet)
            {
                change["allowedRoles"] = AllowedRoles.ToList();
            }

            if (AddAllowedRole != null)
            {
                change["addAllowedRoles"] = AddAllowedRole.ToList();
            }

            if (RemoveAllowedRole != null)
            {
                change["removeAllowedRoles"] = RemoveAllowedRole.ToList();
            }

            if (change.Count == 0)
            {
                ThrowUsageError(
                    "PhotoUpdatePolicy.NoChangeRequested",
                    "Nothing to change: specify -Source, -AllowedRoles, -AddAllowedRole or -RemoveAllowedRole.",
                    ErrorCategory.InvalidArgument,
                    null,
                    "Example: Set-PhotoUpdatePolicy -Source Cloud -AllowedRoles 'People Administrator'.");
            }

            if (AllowUnknownRoleId)
            {
                change["allowUnknownRoleIds"] = true;
            }

            if (BackupPath != null)
            {
                // Resolved against the PowerShell location; a trailing separator keeps it a folder.
                string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(BackupPath);
                bool folder = BackupPath.EndsWith("/", StringComparison.Ordinal) || BackupPath.EndsWith("\\", StringComparison.Ordinal);
                change["backupPath"] = folder ? full + System.IO.Path.DirectorySeparatorChar : full;
            }

            return change;
        }

        /// <summary>
        /// Checks role names and IDs offline before anything is sent, so a typo fails fast with the
        /// core's message (valid names, closest match) and ErrorId PhotoUpdatePolicy.InvalidRole.
        /// Removals may name IDs outside the catalog (a role someone else added), so only their form
        /// is checked.
        /// </summary>
        private void ValidateRoles()
        {
            var toAdd = new List<string>();
            if (ParameterSetName == ReplaceSet)
            {
                toAdd.AddRange(AllowedRoles);
            }

            if (AddAllowedRole != null)
            {
                toAdd.AddRange(AddAllowedRole);
            }

            Resolve(toAdd, AllowUnknownRoleId);
            Resolve(RemoveAllowedRole?.ToList() ?? new List<string>(), allowUnknown: true);
        }

        private void Resolve(List<string> roles, bool allowUnknown)
        {
            if (roles.Count == 0)
            {
                return;
            }

            try
            {
                RoleCatalog.Resolve(Native, roles, allowUnknown);
            }
            catch (PhotoPolicyException ex) when (ex.Status == PhotoPolicyStatus.InvalidArgument || ex.Status == PhotoPolicyStatus.InvalidUtf8)
            {
                var record = ex.ToErrorRecord(ex.Target ?? (object)string.Join(", ", roles), "PhotoUpdatePolicy.InvalidRole");
                if (string.IsNullOrEmpty(ex.RecommendedAction))
                {
                    record.ErrorDetails.RecommendedAction = "Use a role name from Get-PhotoUpdatePolicyRole (Tab completes them), or a role template ID with -AllowUnknownRoleId.";
                }

                ThrowTerminatingError(record);
            }
        }
    }
}
