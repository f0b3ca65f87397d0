using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// Base of every cmdlet that talks to Microsoft Graph. Owns the connection parameters in one
    /// place, so new ways to sign in (Connect-PhotoUpdatePolicy and its session connection) are added
    /// here, in <see cref="ResolveConnection"/>, without touching each cmdlet.
    ///
    /// <c>TenantId</c> and <c>Environment</c> (alias <c>Cloud</c>) bind by property name from the
    /// pipeline, so a Policy piped from Get- keeps talking to the same tenant and cloud; nothing
    /// about the policy's content binds (see Set-PhotoUpdatePolicy).
    /// </summary>
    public abstract class GraphCmdlet : PhotoPolicyCmdlet
    {
        /// <summary>Environment variable: default for -GraphEndpoint (e.g. the Graph emulator's URL).</summary>
        public const string GraphEndpointVariable = "PHOTOPOLICY_GRAPH_ENDPOINT";

        /// <summary>Environment variable: <c>1</c> defaults -AllowInsecureLoopback to on.</summary>
        public const string AllowInsecureLoopbackVariable = "PHOTOPOLICY_ALLOW_INSECURE_LOOPBACK";

        /// <summary>
        /// A Graph access token: a SecureString (preferred), a string, a PSCredential (the password),
        /// or an object with a <c>Token</c> property such as the output of <c>Get-AzAccessToken</c>.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        public object? AccessToken { get; set; }

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
        /// Allows http:// endpoints on loopback (127.0.0.0/8, ::1, localhost), such as the Graph
        /// emulator. Defaults to on when $env:PHOTOPOLICY_ALLOW_INSECURE_LOOPBACK is 1.
        /// </summary>
        [Parameter]
        public SwitchParameter AllowInsecureLoopback { get; set; }

        /// <summary>A description of the tenant for messages ("tenant 'contoso…'" or "the token's tenant").</summary>
        internal string TenantLabel(string? knownTenant = null)
        {
            string? tenant = knownTenant ?? TenantId;
            return string.IsNullOrEmpty(tenant) ? "the signed-in tenant" : $"tenant '{tenant}'";
        }

        /// <summary>
        /// Creates a client for this record's parameters, or writes the error and returns null.
        /// The caller disposes the handle.
        /// </summary>
        internal ClientHandle? TryCreateClient()
        {
            (Dictionary<string, object?> config, byte[]? secret) = ResolveConnection();
            try
            {
                return Native.CreateClient(JsonCodec.Instance.Serialize(config), secret);
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

        /// <summary>
        /// The client config (docs/c-abi.md) and the secret bytes for this record. Later issues add
        /// the session connection from Connect-PhotoUpdatePolicy here as the fallback.
        /// </summary>
        internal virtual (Dictionary<string, object?> Config, byte[]? Secret) ResolveConnection()
        {
            if (AccessToken == null)
            {
                ThrowUsageError(
                    "PhotoUpdatePolicy.NotConnected",
                    "No credentials: pass -AccessToken with a Microsoft Graph access token.",
                    ErrorCategory.AuthenticationError,
                    null,
                    "Get a token with PeopleSettings.Read.All (read) or PeopleSettings.ReadWrite.All (change), e.g. -AccessToken (Get-AzAccessToken -ResourceUrl https://graph.microsoft.com -AsSecureString).Token.");
            }

            var config = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (Environment != null)
            {
                config["cloud"] = Environment;
            }

            if (!string.IsNullOrWhiteSpace(TenantId))
            {
                config["tenantId"] = TenantId;
            }

            string? endpoint = GraphEndpoint?.OriginalString;
            if (endpoint == null)
            {
                string? fromEnv = System.Environment.GetEnvironmentVariable(GraphEndpointVariable);
                if (!string.IsNullOrWhiteSpace(fromEnv))
                {
                    endpoint = fromEnv!.Trim();
                }
            }

            if (endpoint != null)
            {
                config["graphEndpoint"] = endpoint.TrimEnd('/');
            }

            bool allowLoopback = MyInvocation.BoundParameters.ContainsKey(nameof(AllowInsecureLoopback))
                ? AllowInsecureLoopback.IsPresent
                : System.Environment.GetEnvironmentVariable(AllowInsecureLoopbackVariable) == "1";
            if (allowLoopback)
            {
                config["allowInsecureLoopback"] = true;
            }

            config["auth"] = new Dictionary<string, object?> { ["mode"] = "accessToken" };
            return (config, TokenBytes(AccessToken!));
        }

        /// <summary>The token as UTF-8 bytes (zeroed by the caller after use).</summary>
        private byte[] TokenBytes(object token)
        {
            object value = token is PSObject pso ? pso.BaseObject : token;
            switch (value)
            {
                case SecureString secure:
                    return Utf8.SecretToUtf8(secure);
                case string text when !string.IsNullOrWhiteSpace(text):
                    return Utf8.SecretToUtf8(text.Trim());
                case PSCredential credential:
                    return Utf8.SecretToUtf8(credential.Password);
            }

            // Get-AzAccessToken and similar return an object whose Token property holds the token.
            PSPropertyInfo? property = PSObject.AsPSObject(token).Properties["Token"];
            if (property?.Value is object inner && !(inner is PSObject p && p.BaseObject == value))
            {
                object innerValue = inner is PSObject ip ? ip.BaseObject : inner;
                if (innerValue is SecureString || innerValue is string)
                {
                    return TokenBytes(innerValue);
                }
            }

            ThrowUsageError(
                "PhotoUpdatePolicy.InvalidAccessToken",
                $"-AccessToken must be a SecureString or a string holding a Microsoft Graph access token; got {(value is string ? "an empty string" : "a " + value.GetType().FullName)}.",
                ErrorCategory.InvalidArgument,
                null);
            return Array.Empty<byte>();
        }
    }
}
