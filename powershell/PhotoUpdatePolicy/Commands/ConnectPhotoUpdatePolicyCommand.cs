using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Signs in to Microsoft Graph for the photo update policy cmdlets of this session.</para>
    /// <para type="description">Signs in at once (bad credentials fail here) and keeps one native client
    /// for the session: every PhotoUpdatePolicy cmdlet given no sign-in parameters of its own uses it,
    /// sharing its cached token (refreshed before it expires) and warm connections. With no sign-in
    /// parameters it signs a person in in the system browser, as Connect-MgGraph does.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "PhotoUpdatePolicy")]
    [OutputType(typeof(Connection))]
    public sealed class ConnectPhotoUpdatePolicyCommand : SignInCmdlet
    {
        /// <summary>Returns the new connection.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Signs in, then replaces the session's connection.</summary>
        protected override void EndProcessing()
        {
            SignInParameters parameters;
            try
            {
                parameters = CollectSignIn();
            }
            catch (SignInParameterException ex)
            {
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, null, ex.RecommendedAction);
                return;
            }

            // No way to sign in named: the interactive browser sign-in, as Connect-MgGraph.
            parameters.BrowserByDefault = true;

            NativeClient client;
            try
            {
                client = NativeClient.Open(Native, parameters, Limits, reuse: false);
            }
            catch (SignInParameterException ex)
            {
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, null, ex.RecommendedAction);
                return;
            }
            catch (PhotoPolicyException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(TenantId));
                return;
            }

            // Connect keeps the worker path whatever the sign-in: its first call signs in, and may
            // wait for a person (device code) or a slow token endpoint.
            Native.Inline = false;
            SessionConnection connection;
            try
            {
                Connection info = client.Connect(parameters.EffectiveGraphEndpoint, parameters.EffectiveAuthorityEndpoint);
                connection = new SessionConnection(client, info, TenantId);
            }
            catch (PhotoPolicyException ex)
            {
                client.Dispose();
                ThrowTerminatingError(ex.ToErrorRecord(TenantId));
                return;
            }
            catch
            {
                client.Dispose();
                throw;
            }

            // The previous connection's client is freed once no running command uses it.
            SessionConnection.Replace(connection)?.Dispose();
            WriteVerbose($"Connected: {connection.Info}.");
            if (PassThru)
            {
                WriteObject(connection.Info);
            }
        }
    }
}
