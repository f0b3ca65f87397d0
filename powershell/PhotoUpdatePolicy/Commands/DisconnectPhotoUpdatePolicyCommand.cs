using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Forgets the session's connection and the tokens cached for it.</para>
    /// <para type="description">Frees the session's native client: its secret and cached token are
    /// zeroed. Nothing is sent to Microsoft. Disconnecting when not connected is not an error.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "PhotoUpdatePolicy")]
    [OutputType(typeof(Connection))]
    public sealed class DisconnectPhotoUpdatePolicyCommand : PhotoPolicyCmdlet
    {
        /// <summary>Returns the connection that was removed.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Removes the connection.</summary>
        protected override void EndProcessing()
        {
            // Clients kept for commands given their own sign-in parameters go too (ClientCache).
            int forgotten = ClientCache.Clear();
            if (forgotten > 0)
            {
                WriteVerbose($"Forgot {forgotten} signed-in client(s) kept for commands given their own sign-in parameters.");
            }

            SessionConnection? previous = SessionConnection.Replace(null);
            if (previous == null)
            {
                WriteVerbose("Not connected: nothing to disconnect.");
                return;
            }

            previous.Dispose();
            WriteVerbose($"Disconnected from {previous.Info.TenantId ?? "the tenant"} ({previous.Info.Cloud}).");
            if (PassThru)
            {
                WriteObject(previous.Info);
            }
        }
    }
}
