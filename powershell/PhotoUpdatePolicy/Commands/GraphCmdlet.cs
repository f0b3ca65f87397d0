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
    /// Base of every cmdlet that talks to Microsoft Graph. Owns the sign-in parameters in one place:
    /// with none of them the cmdlet uses the session's connection (Connect-PhotoUpdatePolicy); with
    /// them it signs in for this call only. The parameters carry no parameter sets here (they would
    /// multiply with each cmdlet's own sets); which ones go together is checked when the cmdlet runs
    /// (<see cref="SignInParameters.Mode"/>), with the same rules as Connect-PhotoUpdatePolicy's sets.
    ///
    /// <c>TenantId</c> and <c>Environment</c> (alias <c>Cloud</c>) bind by property name from the
    /// pipeline, so a Policy piped from Get- keeps talking to the same tenant and cloud; nothing
    /// about the policy's content binds (see Set-PhotoUpdatePolicy).
    /// </summary>
    public abstract class GraphCmdlet : PhotoPolicyCmdlet, ISignInCmdlet
    {
        /// <summary>Environment variable: default for -GraphEndpoint (e.g. the Graph emulator's URL).</summary>
        public const string GraphEndpointVariable = SignInParameters.GraphEndpointVariable;

        /// <summary>Environment variable: <c>1</c> defaults -AllowInsecureLoopback to on.</summary>
        public const string AllowInsecureLoopbackVariable = SignInParameters.AllowInsecureLoopbackVariable;

        /// <summary>
        /// A Graph access token: a SecureString (preferred), a string, a PSCredential (the password),
        /// or an object with a <c>Token</c> property such as the output of <c>Get-AzAccessToken</c>.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        public object? AccessToken { get; set; }

        /// <summary>The application (client) ID: with -ClientSecret or a certificate; with -DeviceCode, the public client to sign in with.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ClientId { get; set; }

        /// <summary>The app's client secret (its value, not its ID).</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? ClientSecret { get; set; }

        /// <summary>The client ID as user name and the client secret as password.</summary>
        [Parameter]
        [Alias("ClientCredential")]
        [ValidateNotNull]
        public PSCredential? ClientSecretCredential { get; set; }

        /// <summary>Thumbprint of a certificate with its private key in CurrentUser\My or LocalMachine\My.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CertificateThumbprint { get; set; }

        /// <summary>The app's certificate with its private key.</summary>
        [Parameter]
        [ValidateNotNull]
        public X509Certificate2? Certificate { get; set; }

        /// <summary>A PFX file, or a PEM file with the certificate and its unencrypted private key.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CertificatePath { get; set; }

        /// <summary>The password of the PFX file given with -CertificatePath.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? CertificatePassword { get; set; }

        /// <summary>Signs in with the managed identity of the Azure resource the script runs on.</summary>
        [Parameter]
        [Alias("ManagedIdentity")]
        public SwitchParameter Identity { get; set; }

        /// <summary>A user-assigned managed identity, by client ID.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityClientId { get; set; }

        /// <summary>A user-assigned managed identity, by object (principal) ID.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityObjectId { get; set; }

        /// <summary>A user-assigned managed identity, by Azure resource ID.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityResourceId { get; set; }

        /// <summary>Signs a person in with the device code flow (shows a code and a page to open).</summary>
        [Parameter]
        public SwitchParameter DeviceCode { get; set; }

        /// <summary>Tenant ID or verified domain. With a token, defaults to the token's tenant.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? TenantId { get; set; }

        /// <summary>The national cloud: Global (default), USGov, USGovDoD or China.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Cloud")]
        [ValidateSet("Global", "USGov", "USGovDoD", "China")]
        public string? Environment { get; set; }

        /// <summary>
        /// Graph base URL override (scheme, host, port). Must be the cloud's Graph host, or a loopback
        /// http:// URL together with -AllowInsecureLoopback (the Graph emulator). Defaults to
        /// $env:PHOTOPOLICY_GRAPH_ENDPOINT when set.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? GraphEndpoint { get; set; }

        /// <summary>
        /// Sign-in authority override (scheme, host, port), under the same rules as -GraphEndpoint.
        /// Defaults to $env:PHOTOPOLICY_AUTHORITY_ENDPOINT when set.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? AuthorityEndpoint { get; set; }

        /// <summary>
        /// Allows http:// endpoints on loopback (127.0.0.0/8, ::1, localhost), such as the Graph
        /// emulator. Defaults to on when $env:PHOTOPOLICY_ALLOW_INSECURE_LOOPBACK is 1.
        /// </summary>
        [Parameter]
        public SwitchParameter AllowInsecureLoopback { get; set; }

        /// <summary>
        /// Timeout of one HTTP request (connect, send, wait for and read the answer), in seconds
        /// (1 to 3600); each retry gets its own. Defaults to the connection's (100 s unless
        /// Connect-PhotoUpdatePolicy set another).
        /// </summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; }

        /// <summary>Timeout to open a connection (TCP and TLS), in seconds (1 to 300). Defaults to the connection's (10 s).</summary>
        [Parameter]
        [ValidateRange(1, 300)]
        public int ConnectTimeoutSec { get; set; }

        /// <summary>Retries after a throttled (429), unavailable (503/504) or dropped request (0 to 10; 0 disables retries). Defaults to the connection's (5).</summary>
        [Parameter]
        [ValidateRange(0, 10)]
        public int MaxRetries { get; set; }

        /// <summary>Total time the command may spend waiting between retries, in seconds (0 to 3600). Defaults to the connection's (300 s).</summary>
        [Parameter]
        [ValidateRange(0, 3600)]
        public int RetryBudgetSec { get; set; }

        /// <summary>
        /// Whether a client made for this command's sign-in parameters is kept for the next command
        /// that gives the same ones (<see cref="ClientCache"/>). The fleet cmdlets make one per tenant
        /// and do not.
        /// </summary>
        internal virtual bool ReusesClients => true;

        /// <summary>The timeout and retry parameters bound to this command.</summary>
        internal CallLimits Limits => CallLimits.FromBound(MyInvocation.BoundParameters, TimeoutSec, ConnectTimeoutSec, MaxRetries, RetryBudgetSec);

        /// <summary>A description of the tenant for messages ("tenant 'contoso…'" or "the token's tenant").</summary>
        internal string TenantLabel(string? knownTenant = null)
        {
            string? tenant = knownTenant ?? TenantId;
            return string.IsNullOrEmpty(tenant) ? "the signed-in tenant" : $"tenant '{tenant}'";
        }

        /// <summary>
        /// A client for this record: a new one when sign-in parameters are given, else the session's
        /// connection (a borrowed handle). Writes the error and returns null when the client cannot be
        /// made. The caller disposes the handle (which never frees the session's client).
        /// </summary>
        internal ClientHandle? TryCreateClient()
        {
            RedactBoundSecret(nameof(AccessToken));
            SignInParameters signIn = CollectSignIn();
            if (!signIn.HasCredentials)
            {
                // The session's client is shared: this command's limits go on its call context.
                ClientHandle? session = SessionClient();
                Native.Inline = SessionConnection.Current?.Info.AuthMode != "DeviceCode";
                CallLimits limits = Limits;
                if (session != null && !limits.IsEmpty)
                {
                    Native.CallLimitsJson = JsonCodec.Instance.Serialize(limits.WriteTo(new Dictionary<string, object?>(StringComparer.Ordinal)));
                }

                return session;
            }

            // A device code sign-in waits minutes for the user: it keeps the worker path, which
            // shows its instructions while the call waits whatever thread raises them.
            Native.Inline = !signIn.DeviceCode;
            Dictionary<string, object?> config;
            byte[]? secret;
            try
            {
                (config, secret) = signIn.Build();
            }
            catch (SignInParameterException ex)
            {
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, null, ex.RecommendedAction);
                return null;
            }

            // A client for this command only: its limits are the client's.
            Limits.WriteTo(config);
            try
            {
                string configJson = JsonCodec.Instance.Serialize(config);
                if (!ReusesClients || signIn.DeviceCode)
                {
                    return Native.CreateClient(configJson, secret);
                }

                // The same sign-in parameters as a recent command: its client, and its cached token.
                return ClientCache.GetOrCreate(configJson, secret, () => Native.CreateClient(configJson, secret));
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, TenantId);
                return null;
            }
            finally
            {
                Utf8.Zero(secret);
            }
        }

        /// <summary>The sign-in parameters bound to this record (file paths resolved against the PowerShell location).</summary>
        internal SignInParameters CollectSignIn() => SignInCmdlet.Collect(this);

        /// <summary>The session's client, when it is connected to the tenant and cloud asked for.</summary>
        private ClientHandle? SessionClient()
        {
            ClientHandle? client = SessionConnection.Borrow(out SessionConnection? session);
            if (client == null || session == null)
            {
                ThrowUsageError(
                    "PhotoUpdatePolicy.NotConnected",
                    "Not connected: run Connect-PhotoUpdatePolicy first, or pass sign-in parameters (e.g. -AccessToken) to this command.",
                    ErrorCategory.AuthenticationError,
                    null,
                    "Connect-PhotoUpdatePolicy -TenantId <tenant> -ClientId <app id> -CertificateThumbprint <thumbprint> (or -Identity, -DeviceCode, -AccessToken (Get-AzAccessToken -ResourceUrl https://graph.microsoft.com -AsSecureString).Token).");
                return null;
            }

            string? problem = null;
            if (!string.IsNullOrWhiteSpace(TenantId) && !session.IsTenant(TenantId!))
            {
                problem = $"The session is connected to tenant '{session.Info.TenantId ?? session.ConfiguredTenant}', not '{TenantId!.Trim()}'";
            }
            else if (Environment != null && !string.Equals(Environment, session.Info.Cloud, StringComparison.OrdinalIgnoreCase))
            {
                problem = $"The session is connected to the {session.Info.Cloud} cloud, not {Environment}";
            }

            if (problem != null)
            {
                client.Dispose();
                var record = new ErrorRecord(
                    new InvalidOperationException(problem + ": nothing was sent."),
                    "PhotoUpdatePolicy.ConnectionMismatch",
                    ErrorCategory.InvalidArgument,
                    TenantId);
                record.ErrorDetails = new ErrorDetails(problem + ": nothing was sent.")
                {
                    RecommendedAction = "Connect to that tenant with Connect-PhotoUpdatePolicy, or pass sign-in parameters for it to this command.",
                };
                WriteError(record);
                return null;
            }

            return client;
        }
    }
}
