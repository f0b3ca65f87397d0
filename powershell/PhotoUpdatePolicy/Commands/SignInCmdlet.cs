using System;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// The sign-in parameters, declared once: Connect-PhotoUpdatePolicy signs the session in with
    /// them, and every Graph cmdlet (<see cref="GraphCmdlet"/>) signs in with them for one call.
    /// Adding a way to sign in means a parameter here, its rules in <see cref="SignInParameters"/>
    /// and its text in docs/help.
    ///
    /// The parameters carry no parameter sets (they would multiply with each cmdlet's own sets);
    /// which ones go together is checked when the cmdlet runs (<see cref="SignInParameters.Mode"/>).
    /// <c>TenantId</c> and <c>Environment</c> (alias <c>Cloud</c>) bind by property name from the
    /// pipeline, so a Policy piped from Get- keeps talking to the same tenant and cloud.
    ///
    /// A default applied elsewhere than the property's initial value (the connection's limits, the
    /// Global cloud) is declared with <c>[PSDefaultValue]</c>: the help's "Default value" is read
    /// from it (tools/help/HelpMarkdown.psm1), so it cannot drift from the code unnoticed.
    /// </summary>
    public abstract class SignInCmdlet : PhotoPolicyCmdlet
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
        [Alias("UseDeviceCode", "UseDeviceAuthentication")]
        public SwitchParameter DeviceCode { get; set; }

        /// <summary>
        /// The subject of a certificate with its private key in CurrentUser\My, else LocalMachine\My
        /// ("CN=…" or the common name); the newest one valid now is used (as Connect-MgGraph).
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CertificateSubjectName { get; set; }

        /// <summary>
        /// Signs in as Azure.Identity's EnvironmentCredential does: AZURE_TENANT_ID, AZURE_CLIENT_ID and
        /// AZURE_CLIENT_SECRET, else AZURE_CLIENT_CERTIFICATE_PATH (and _PASSWORD), else
        /// AZURE_FEDERATED_TOKEN_FILE; AZURE_AUTHORITY_HOST for the sign-in authority.
        /// </summary>
        [Parameter]
        public SwitchParameter EnvironmentVariable { get; set; }

        /// <summary>
        /// A token from another identity provider (GitHub Actions OIDC, Azure Pipelines, Kubernetes) that a
        /// federated credential on the app (-ClientId) trusts: signs in without any secret.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        public object? FederatedToken { get; set; }

        /// <summary>A file holding a federated token (e.g. a Kubernetes projected token): read again at each sign-in.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? FederatedTokenFile { get; set; }

        /// <summary>
        /// Reuses the current Connect-MgGraph session (Microsoft.Graph.Authentication): its token, taken
        /// from one Invoke-MgGraphRequest. The token is not renewed: connect again when it expires (60-90 min).
        /// </summary>
        [Parameter]
        public SwitchParameter MgGraph { get; set; }

        /// <summary>
        /// Reuses the current Connect-AzAccount session (Az.Accounts): a Graph token from
        /// Get-AzAccessToken. The token is not renewed: connect again when it expires (60-90 min).
        /// </summary>
        [Parameter]
        public SwitchParameter AzContext { get; set; }

        /// <summary>Tenant ID or verified domain. With a token, defaults to the token's tenant.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? TenantId { get; set; }

        /// <summary>The national cloud: Global (default), USGov, USGovDoD or China.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [PSDefaultValue(Value = "Global")]
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
        /// (1 to 3600); each retry gets its own. For Connect-PhotoUpdatePolicy, the connection's
        /// default; for another command, this call's (else the connection's: 100 s unless set).
        /// </summary>
        [Parameter]
        [PSDefaultValue(Help = "100, or the value given to Connect-PhotoUpdatePolicy")]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; }

        /// <summary>Timeout to open a connection (TCP and TLS), in seconds (1 to 300). Defaults to the connection's (10 s).</summary>
        [Parameter]
        [PSDefaultValue(Help = "10, or the value given to Connect-PhotoUpdatePolicy")]
        [ValidateRange(1, 300)]
        public int ConnectTimeoutSec { get; set; }

        /// <summary>Retries after a throttled (429), failing (500, 502, 503, 504) or dropped request (0 to 10; 0 disables retries). Defaults to the connection's (5).</summary>
        [Parameter]
        [PSDefaultValue(Help = "5, or the value given to Connect-PhotoUpdatePolicy")]
        [ValidateRange(0, 10)]
        public int MaxRetries { get; set; }

        /// <summary>Total time the command may spend waiting between retries, in seconds (0 to 3600). Defaults to the connection's (300 s).</summary>
        [Parameter]
        [PSDefaultValue(Help = "300, or the value given to Connect-PhotoUpdatePolicy")]
        [ValidateRange(0, 3600)]
        public int RetryBudgetSec { get; set; }

        /// <summary>
        /// The longest wait a throttled service may ask for (Retry-After) that is waited out, in
        /// seconds (1 to 3600); a longer one ends the command at once as PhotoUpdatePolicy.Throttled
        /// with the service's wait. Defaults to the connection's (120 s).
        /// </summary>
        [Parameter]
        [PSDefaultValue(Help = "120, or the value given to Connect-PhotoUpdatePolicy")]
        [ValidateRange(1, 3600)]
        public int MaxRetryAfterSec { get; set; }

        /// <summary>The timeout and retry parameters bound to this command.</summary>
        internal CallLimits Limits => CallLimits.FromBound(MyInvocation.BoundParameters, TimeoutSec, ConnectTimeoutSec, MaxRetries, RetryBudgetSec, MaxRetryAfterSec);

        /// <summary>
        /// The sign-in parameters bound to this record: file paths are resolved against the
        /// PowerShell location, and -AllowInsecureLoopback is null when not bound (so the
        /// environment variable's default applies). A plain-text token is redacted from the bound
        /// parameters first (see <see cref="PhotoPolicyCmdlet.RedactBoundSecret"/>).
        /// </summary>
        internal SignInParameters CollectSignIn()
        {
            var parameters = new SignInParameters
            {
                AccessToken = AccessToken,
                ClientId = ClientId,
                ClientSecret = ClientSecret,
                ClientSecretCredential = ClientSecretCredential,
                CertificateThumbprint = CertificateThumbprint,
                Certificate = Certificate,
                CertificatePath = CertificatePath == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(CertificatePath),
                CertificatePassword = CertificatePassword,
                Identity = Identity.IsPresent,
                ManagedIdentityClientId = ManagedIdentityClientId,
                ManagedIdentityObjectId = ManagedIdentityObjectId,
                ManagedIdentityResourceId = ManagedIdentityResourceId,
                DeviceCode = DeviceCode.IsPresent,
                CertificateSubjectName = CertificateSubjectName,
                EnvironmentVariable = EnvironmentVariable.IsPresent,
                FederatedToken = FederatedToken,
                FederatedTokenFile = FederatedTokenFile == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(FederatedTokenFile),
                TenantId = TenantId,
                Environment = Environment,
                GraphEndpoint = GraphEndpoint,
                AuthorityEndpoint = AuthorityEndpoint,
                AllowInsecureLoopback = MyInvocation.BoundParameters.ContainsKey(nameof(AllowInsecureLoopback)) ? AllowInsecureLoopback.IsPresent : (bool?)null,
            };
            RedactBoundSecret(nameof(AccessToken));
            RedactBoundSecret(nameof(FederatedToken));
            if (MgGraph || AzContext)
            {
                ExistingSessions.Apply(this, parameters, MgGraph ? "-MgGraph" : "-AzContext", AzContext && MgGraph);
            }

            return parameters;
        }
    }
}
