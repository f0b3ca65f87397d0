using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Shows the session's connection: tenant, cloud, sign-in mode, token expiry and permissions.</para>
    /// <para type="description">Returns the connection made by Connect-PhotoUpdatePolicy, or nothing when
    /// not connected. It asks the session's client for its current token (cached; renewed only when
    /// it is about to expire), so ExpiresOn is up to date. It never holds the token or a secret.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "PhotoUpdatePolicyConnection")]
    [OutputType(typeof(Connection))]
    public sealed class GetPhotoUpdatePolicyConnectionCommand : PhotoPolicyCmdlet
    {
        /// <summary>Writes the connection.</summary>
        protected override void EndProcessing()
        {
            using NativeClient? client = NativeClient.BorrowSession(Native, CallLimits.None, out SessionConnection? session);
            if (client == null || session == null)
            {
                WriteVerbose("Not connected: run Connect-PhotoUpdatePolicy.");
                return;
            }

            try
            {
                session.Info = client.Connect(session.Info.GraphEndpoint, session.Info.AuthorityEndpoint);
            }
            catch (PhotoPolicyException ex)
            {
                // Still show what is known; say why the token could not be renewed.
                WriteWarning($"The connection's token could not be renewed: {ex.Message}");
            }

            WriteObject(session.Info);
        }
    }
}
