using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

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
            using NativeClient? client = TryCreateClient();
            if (client == null)
            {
                return;
            }

            try
            {
                WriteObject(client.GetPolicy());
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, TenantId);
            }
        }
    }
}
