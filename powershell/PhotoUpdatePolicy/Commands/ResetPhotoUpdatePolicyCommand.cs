using System;
using System.Collections.Generic;
using System.Management.Automation;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

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
        // The default expressed as a change: lets the core say whether anything differs, and how,
        // before we ask for confirmation.
        private static readonly byte[] DefaultChange = Utf8.Encode("{\"source\":\"notSet\",\"allowedRoles\":[]}");

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

        /// <summary>Confirms, resets and verifies for each input record.</summary>
        protected override void ProcessRecord()
        {
            using ClientHandle? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            try
            {
                Dictionary<string, object?> plan = JsonTree.AsObject(
                    Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) => PlanDefault(client, ctx, out r, out e)),
                    "a plan");
                Policy before = Policy.FromJson(plan["before"]);
                PolicyChange[] planned = PolicyChange.FromJson(JsonTree.List(plan, "changes"), before);
                string tenant = TenantLabel(before.TenantId);

                if (!JsonTree.Bool(plan, "hasChanges"))
                {
                    string message = $"The photo update policy of {tenant} is already at the default ({PolicyText.Describe(before)}): nothing was sent.";
                    WriteVerbose(message);
                    WriteInformation(new InformationRecord(message, MyInvocation.MyCommand.Name), new[] { "PhotoUpdatePolicy", "NoChange" });
                    if (PassThru)
                    {
                        WriteObject(new PolicyResetResult(before, before, Array.Empty<PolicyChange>(), "AlreadyDefault", verified: true));
                    }

                    return;
                }

                string whatIf = $"Reset the photo update policy of {tenant} to the default (Source=NotSet, no role restriction); now {PolicyText.Describe(before)}";
                string query = $"Reset the photo update policy of {tenant} to the default?{System.Environment.NewLine}{PolicyText.Lines(planned)}";
                if (!ShouldProcess(whatIf, query, "Reset-PhotoUpdatePolicy"))
                {
                    return;
                }

                Dictionary<string, object?> reset = JsonTree.AsObject(
                    Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) => ResetWithOptions(client, ctx, out r, out e)),
                    "a reset result");
                Policy previous = Policy.FromJson(reset["previous"]);
                Policy current = Policy.FromJson(reset["current"]);
                string method = Method(JsonTree.String(reset, "method"));
                bool verified = JsonTree.Bool(reset, "verified");

                WriteVerbose($"Reset of {tenant} used {method}; verified by reading back: {verified}.");
                if (!verified)
                {
                    WriteWarning($"The reset of {tenant} could not be verified by reading the policy back: now {PolicyText.Describe(current)}.");
                }

                // The 24-hour propagation warning after a write comes from the core as an event.
                if (PassThru)
                {
                    WriteObject(new PolicyResetResult(current, previous, planned, method, verified));
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

        private unsafe uint ResetWithOptions(ClientHandle client, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            // Options JSON: {"backupPath": …} (resolved against the PowerShell location), or none.
            byte[]? options = BackupPath == null
                ? null
                : Utf8.Encode(JsonCodec.Instance.Serialize(new Dictionary<string, object?> { ["backupPath"] = ResolveBackupPath(BackupPath) }));
            fixed (byte* p = options)
            {
                return NativeMethods.pup_policy_reset(client, p, (UIntPtr)(options?.Length ?? 0), ctx, out result, out error);
            }
        }

        /// <summary>A path resolved against the current location, keeping a trailing separator (folder).</summary>
        internal string ResolveBackupPath(string path)
        {
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            bool folder = path.EndsWith("/", StringComparison.Ordinal) || path.EndsWith("\\", StringComparison.Ordinal);
            return folder && !full.EndsWith(System.IO.Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal)
                ? full + System.IO.Path.DirectorySeparatorChar
                : full;
        }

        private static unsafe uint PlanDefault(ClientHandle client, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = DefaultChange)
            {
                return NativeMethods.pup_policy_plan(client, p, (UIntPtr)DefaultChange.Length, ctx, out result, out error);
            }
        }

        private static string Method(string? wire) => wire switch
        {
            "patch" => "Patch",
            "delete" => "Delete",
            "alreadyDefault" => "AlreadyDefault",
            null => "Unknown",
            _ => wire,
        };
    }
}
