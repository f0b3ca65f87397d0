using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PhotoUpdatePolicy.Internal;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// <para type="synopsis">Signs in to Microsoft Graph for the photo update policy cmdlets of this session.</para>
    /// <para type="description">Signs in at once (bad credentials fail here) and keeps one native client
    /// for the session: every PhotoUpdatePolicy cmdlet given no sign-in parameters of its own uses it,
    /// sharing its cached token (refreshed before it expires) and warm connections.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "PhotoUpdatePolicy", DefaultParameterSetName = AccessTokenSet)]
    [OutputType(typeof(Connection))]
    public sealed class ConnectPhotoUpdatePolicyCommand : PhotoPolicyCmdlet, ISignInCmdlet
    {
        private const string AccessTokenSet = "AccessToken";
        private const string ClientSecretSet = "ClientSecret";
        private const string ClientSecretCredentialSet = "ClientSecretCredential";
        private const string ThumbprintSet = "CertificateThumbprint";
        private const string CertificateSet = "Certificate";
        private const string CertificateFileSet = "CertificateFile";
        private const string ManagedIdentitySet = "ManagedIdentity";
        private const string DeviceCodeSet = "DeviceCode";

        /// <summary>A Microsoft Graph access token (SecureString or string, e.g. from Get-AzAccessToken).</summary>
        [Parameter(ParameterSetName = AccessTokenSet, Mandatory = true)]
        [ValidateNotNull]
        public object? AccessToken { get; set; }

        /// <summary>The application (client) ID; with -DeviceCode, an optional public client.</summary>
        [Parameter(ParameterSetName = ClientSecretSet, Mandatory = true)]
        [Parameter(ParameterSetName = ThumbprintSet, Mandatory = true)]
        [Parameter(ParameterSetName = CertificateSet, Mandatory = true)]
        [Parameter(ParameterSetName = CertificateFileSet, Mandatory = true)]
        [Parameter(ParameterSetName = DeviceCodeSet)]
        [ValidateNotNullOrEmpty]
        public string? ClientId { get; set; }

        /// <summary>The app's client secret (its value), as a SecureString.</summary>
        [Parameter(ParameterSetName = ClientSecretSet, Mandatory = true)]
        [ValidateNotNull]
        public SecureString? ClientSecret { get; set; }

        /// <summary>The client ID as user name and the client secret as password.</summary>
        [Parameter(ParameterSetName = ClientSecretCredentialSet, Mandatory = true)]
        [Alias("ClientCredential")]
        [ValidateNotNull]
        public PSCredential? ClientSecretCredential { get; set; }

        /// <summary>Thumbprint of a certificate with its private key in CurrentUser\My or LocalMachine\My.</summary>
        [Parameter(ParameterSetName = ThumbprintSet, Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string? CertificateThumbprint { get; set; }

        /// <summary>The app's certificate with its private key.</summary>
        [Parameter(ParameterSetName = CertificateSet, Mandatory = true)]
        [ValidateNotNull]
        public X509Certificate2? Certificate { get; set; }

        /// <summary>A PFX file, or a PEM file with the certificate and its unencrypted private key.</summary>
        [Parameter(ParameterSetName = CertificateFileSet, Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string? CertificatePath { get; set; }

        /// <summary>The password of the PFX file given with -CertificatePath.</summary>
        [Parameter(ParameterSetName = CertificateFileSet)]
        [ValidateNotNull]
        public SecureString? CertificatePassword { get; set; }

        /// <summary>Signs in with the managed identity of the Azure resource the script runs on.</summary>
        [Parameter(ParameterSetName = ManagedIdentitySet, Mandatory = true)]
        [Alias("ManagedIdentity")]
        public SwitchParameter Identity { get; set; }

        /// <summary>A user-assigned managed identity, by client ID.</summary>
        [Parameter(ParameterSetName = ManagedIdentitySet)]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityClientId { get; set; }

        /// <summary>A user-assigned managed identity, by object (principal) ID.</summary>
        [Parameter(ParameterSetName = ManagedIdentitySet)]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityObjectId { get; set; }

        /// <summary>A user-assigned managed identity, by Azure resource ID.</summary>
        [Parameter(ParameterSetName = ManagedIdentitySet)]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityResourceId { get; set; }

        /// <summary>Signs a person in with the device code flow.</summary>
        [Parameter(ParameterSetName = DeviceCodeSet, Mandatory = true)]
        public SwitchParameter DeviceCode { get; set; }

        /// <summary>The tenant ID or a verified domain.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? TenantId { get; set; }

        /// <summary>The national cloud: Global (default), USGov, USGovDoD or China.</summary>
        [Parameter]
        [Alias("Cloud")]
        [ValidateSet("Global", "USGov", "USGovDoD", "China")]
        public string? Environment { get; set; }

        /// <summary>Graph base URL override (defaults to $env:PHOTOPOLICY_GRAPH_ENDPOINT).</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? GraphEndpoint { get; set; }

        /// <summary>Sign-in authority override (defaults to $env:PHOTOPOLICY_AUTHORITY_ENDPOINT).</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? AuthorityEndpoint { get; set; }

        /// <summary>Allows http:// endpoints on loopback (the Graph emulator).</summary>
        [Parameter]
        public SwitchParameter AllowInsecureLoopback { get; set; }

        /// <summary>Timeout of one HTTP request, in seconds (1 to 3600): the connection's default for every command (100 s when not given).</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; }

        /// <summary>Timeout to open a connection (TCP and TLS), in seconds (1 to 300): the connection's default (10 s when not given).</summary>
        [Parameter]
        [ValidateRange(1, 300)]
        public int ConnectTimeoutSec { get; set; }

        /// <summary>Retries after a throttled, unavailable or dropped request (0 to 10): the connection's default (5 when not given).</summary>
        [Parameter]
        [ValidateRange(0, 10)]
        public int MaxRetries { get; set; }

        /// <summary>Total time a command may spend waiting between retries, in seconds (0 to 3600): the connection's default (300 s when not given).</summary>
        [Parameter]
        [ValidateRange(0, 3600)]
        public int RetryBudgetSec { get; set; }

        /// <summary>Returns the new connection.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Signs in, then replaces the session's connection.</summary>
        protected override void EndProcessing()
        {
            RedactBoundSecret(nameof(AccessToken));
            SignInParameters parameters = SignInCmdlet.Collect(this);

            Dictionary<string, object?> config;
            byte[]? secret;
            try
            {
                (config, secret) = parameters.Build();
                CallLimits.FromBound(MyInvocation.BoundParameters, TimeoutSec, ConnectTimeoutSec, MaxRetries, RetryBudgetSec).WriteTo(config);
            }
            catch (SignInParameterException ex)
            {
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, null, ex.RecommendedAction);
                return;
            }

            ClientHandle client;
            try
            {
                client = Native.CreateClient(JsonCodec.Instance.Serialize(config), secret);
            }
            catch (PhotoPolicyException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(TenantId));
                return;
            }
            finally
            {
                Utf8.Zero(secret);
            }

            SessionConnection connection;
            try
            {
                object? json = Native.InvokeJson((CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) =>
                    NativeMethods.pup_client_connect(client, ctx, out r, out e));
                var info = new Connection(JsonTree.AsObject(json, "connection info"), parameters.EffectiveGraphEndpoint, parameters.EffectiveAuthorityEndpoint);
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
