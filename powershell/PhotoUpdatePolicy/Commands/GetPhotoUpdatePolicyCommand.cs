using System.Management.Automation;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Gets the tenant's profile photo update policy.</para>
    /// <para type="description">Reads /beta/admin/people/photoUpdateSettings and returns one Policy
    /// object: where photos may be changed (Source) and which roles may change them (AllowedRoles).</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "PhotoUpdatePolicy")]
    [OutputType(typeof(Policy))]
    public sealed class GetPhotoUpdatePolicyCommand : GraphCmdlet
    {
        /// <summary>Reads the policy for each input record (or once without pipeline input).</summary>
        protected override void ProcessRecord()
        {
            using ClientHandle? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            try
            {
                object? json = Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) =>
                    NativeMethods.pup_policy_get(client, ctx, out r, out e));
                WriteObject(Policy.FromJson(json));
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, TenantId);
            }
        }
    }
}
