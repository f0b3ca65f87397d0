using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// The sign-in parameters shared by Connect-PhotoUpdatePolicy and every Graph cmdlet, turned into
    /// the client config (docs/c-abi.md, core/src/config.rs) and the secret bytes. Checks only what the
    /// parameters themselves say (which mode, what goes with it); the core validates the values.
    /// </summary>
    internal sealed class SignInParameters
    {
        /// <summary>Environment variable: default for -GraphEndpoint (e.g. the Graph emulator's URL).</summary>
        internal const string GraphEndpointVariable = "PHOTOPOLICY_GRAPH_ENDPOINT";

        /// <summary>Environment variable: default for -AuthorityEndpoint.</summary>
        internal const string AuthorityEndpointVariable = "PHOTOPOLICY_AUTHORITY_ENDPOINT";

        /// <summary>Environment variable: <c>1</c> defaults -AllowInsecureLoopback to on.</summary>
        internal const string AllowInsecureLoopbackVariable = "PHOTOPOLICY_ALLOW_INSECURE_LOOPBACK";

        /// <summary>Environment variable: the VM (IMDS) managed identity token URL, replacing 169.254.169.254 (tests, unusual hosts).</summary>
        internal const string ImdsEndpointVariable = "PHOTOPOLICY_IMDS_ENDPOINT";

        /// <summary>Environment variable: the Azure Arc agent's token folder, replacing the platform default.</summary>
        internal const string ArcTokenDirVariable = "PHOTOPOLICY_ARC_TOKEN_DIR";

        internal object? AccessToken { get; set; }

        internal string? ClientId { get; set; }

        internal SecureString? ClientSecret { get; set; }

        internal PSCredential? ClientSecretCredential { get; set; }

        internal string? CertificateThumbprint { get; set; }

        internal X509Certificate2? Certificate { get; set; }

        /// <summary>Already resolved to a file system path.</summary>
        internal string? CertificatePath { get; set; }

        internal SecureString? CertificatePassword { get; set; }

        internal bool Identity { get; set; }

        internal string? ManagedIdentityClientId { get; set; }

        internal string? ManagedIdentityObjectId { get; set; }

        internal string? ManagedIdentityResourceId { get; set; }

        internal bool DeviceCode { get; set; }

        /// <summary>-CertificateSubjectName: a certificate found by subject in CurrentUser\My, then LocalMachine\My.</summary>
        internal string? CertificateSubjectName { get; set; }

        /// <summary>-EnvironmentVariable: the Azure.Identity variables (AZURE_TENANT_ID, AZURE_CLIENT_ID, …) say how to sign in.</summary>
        internal bool EnvironmentVariable { get; set; }

        /// <summary>-FederatedToken: another identity provider's token (string or SecureString) as the client assertion.</summary>
        internal object? FederatedToken { get; set; }

        /// <summary>-FederatedTokenFile, already resolved to a file system path: read again at each sign-in.</summary>
        internal string? FederatedTokenFile { get; set; }

        /// <summary>
        /// Whether no way to sign in means the interactive browser sign-in (Connect-PhotoUpdatePolicy,
        /// as Connect-MgGraph), rather than an incomplete set of parameters (the other cmdlets).
        /// </summary>
        internal bool BrowserByDefault { get; set; }

        internal string? TenantId { get; set; }

        internal string? Environment { get; set; }

        internal Uri? GraphEndpoint { get; set; }

        internal Uri? AuthorityEndpoint { get; set; }

        /// <summary>null: not bound, use the environment variable's default.</summary>
        internal bool? AllowInsecureLoopback { get; set; }

        /// <summary>Whether any parameter names a way to sign in (else the session connection is used).</summary>
        internal bool HasCredentials =>
            AccessToken != null || ClientId != null || ClientSecret != null || ClientSecretCredential != null
            || CertificateThumbprint != null || Certificate != null || CertificatePath != null || CertificatePassword != null
            || Identity || ManagedIdentityClientId != null || ManagedIdentityObjectId != null || ManagedIdentityResourceId != null
            || DeviceCode || CertificateSubjectName != null || EnvironmentVariable || FederatedToken != null || FederatedTokenFile != null;

        /// <summary>The Graph endpoint in effect (parameter, else environment variable), or null.</summary>
        internal string? EffectiveGraphEndpoint => Endpoint(GraphEndpoint, GraphEndpointVariable);

        /// <summary>The sign-in authority in effect (parameter, else environment variable), or null.</summary>
        internal string? EffectiveAuthorityEndpoint => Endpoint(AuthorityEndpoint, AuthorityEndpointVariable);

        /// <summary>
        /// The client config, and either the secret bytes (the caller zeroes them after the call) or,
        /// for a certificate whose key stays in its store, the signer that signs with it (the caller
        /// hands it to the library or disposes it). Throws <see cref="SignInParameterException"/> for
        /// parameters that do not go together.
        /// </summary>
        internal (Dictionary<string, object?> Config, byte[]? Secret, CertificateSigner? Signer) Build()
        {
            string mode = Mode();
            byte[]? environmentSecret = null;
            if (mode == "environment")
            {
                (mode, environmentSecret) = FromEnvironmentVariables();
            }

            var config = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (Environment != null)
            {
                config["cloud"] = Environment;
            }

            if (!string.IsNullOrWhiteSpace(TenantId))
            {
                config["tenantId"] = TenantId!.Trim();
            }

            if (EffectiveGraphEndpoint is string graph)
            {
                config["graphEndpoint"] = graph;
            }

            if (EffectiveAuthorityEndpoint is string authority)
            {
                config["authorityEndpoint"] = authority;
            }

            bool allowLoopback = AllowInsecureLoopback ?? System.Environment.GetEnvironmentVariable(AllowInsecureLoopbackVariable) == "1";
            if (allowLoopback)
            {
                config["allowInsecureLoopback"] = true;
            }

            var auth = new Dictionary<string, object?>(StringComparer.Ordinal) { ["mode"] = mode };
            config["auth"] = auth;
            switch (mode)
            {
                case "accessToken":
                    return (config, TokenBytes(AccessToken!), null);
                case "clientSecret" when environmentSecret != null:
                    auth["clientId"] = ClientId!.Trim();
                    return (config, environmentSecret, null);
                case "clientSecret":
                    RequireTenant("a client secret");
                    if (ClientSecretCredential != null)
                    {
                        auth["clientId"] = ClientSecretCredential.UserName.Trim();
                        return (config, Utf8.SecretToUtf8(ClientSecretCredential.Password), null);
                    }

                    auth["clientId"] = ClientId!.Trim();
                    return (config, Utf8.SecretToUtf8(ClientSecret!), null);
                case "certificate":
                    RequireTenant("a certificate");
                    auth["clientId"] = ClientId!.Trim();
                    (string pem, byte[]? key, CertificateSigner? signer) = CertificateCredential();
                    auth["certificatePem"] = pem;
                    return (config, key, signer);
                case "managedIdentity":
                    return (config, ManagedIdentity(auth), null);
                case "federated":
                    RequireTenant("a federated credential");
                    auth["clientId"] = ClientId!.Trim();
                    if (FederatedTokenFile != null)
                    {
                        auth["tokenFile"] = FederatedTokenFile;
                        return (config, null, null);
                    }

                    return (config, SecretBytes(FederatedToken!, "-FederatedToken"), null);
                default:
                    if (ClientId != null)
                    {
                        auth["clientId"] = ClientId.Trim();
                    }

                    return (config, null, null);
            }
        }

        /// <summary>
        /// The auth mode the parameters name (<c>environment</c> when the Azure.Identity variables
        /// decide), checking that they go together. Errors name what to pass, never PowerShell's
        /// "parameter set cannot be resolved".
        /// </summary>
        internal string Mode()
        {
            var modes = new List<string>();
            if (AccessToken != null)
            {
                modes.Add("-AccessToken");
            }

            if (ClientSecret != null || ClientSecretCredential != null)
            {
                modes.Add(ClientSecret != null ? "-ClientSecret" : "-ClientSecretCredential");
            }

            string[] certificateNames = CertificateParameters();
            if (certificateNames.Length > 0)
            {
                modes.Add(certificateNames[0]);
            }

            if (Identity)
            {
                modes.Add("-Identity");
            }

            if (DeviceCode)
            {
                modes.Add("-DeviceCode");
            }

            if (FederatedToken != null || FederatedTokenFile != null)
            {
                modes.Add(FederatedToken != null ? "-FederatedToken" : "-FederatedTokenFile");
            }

            if (EnvironmentVariable)
            {
                modes.Add("-EnvironmentVariable");
            }

            if (modes.Count > 1 || (ClientSecret != null && ClientSecretCredential != null))
            {
                if (ClientSecret != null && ClientSecretCredential != null)
                {
                    modes.Add("-ClientSecretCredential");
                }

                throw Usage(
                    "PhotoUpdatePolicy.ConflictingSignIn",
                    $"{string.Join(" and ", modes)} name different ways to sign in; use one of them.",
                    "Use one of -AccessToken (or -MgGraph, -AzContext), -ClientSecret/-ClientSecretCredential, -CertificateThumbprint/-CertificateSubjectName/-Certificate/-CertificatePath, -FederatedToken/-FederatedTokenFile, -Identity, -DeviceCode or -EnvironmentVariable; with none, Connect-PhotoUpdatePolicy signs in in the browser.");
            }

            if (certificateNames.Length > 1)
            {
                throw Usage("PhotoUpdatePolicy.ConflictingSignIn", $"{string.Join(" and ", certificateNames)} each name a certificate: use only one of -CertificateThumbprint, -CertificateSubjectName, -Certificate and -CertificatePath.");
            }

            if (FederatedToken != null && FederatedTokenFile != null)
            {
                throw Usage("PhotoUpdatePolicy.ConflictingSignIn", "Use -FederatedToken or -FederatedTokenFile, not both: the token, or the file that holds it.");
            }

            if (CertificatePassword != null && CertificatePath == null)
            {
                throw Usage("PhotoUpdatePolicy.ConflictingSignIn", "-CertificatePassword goes with -CertificatePath (the password of a PFX file).");
            }

            bool userAssigned = ManagedIdentityClientId != null || ManagedIdentityObjectId != null || ManagedIdentityResourceId != null;
            if (userAssigned && !Identity)
            {
                throw Usage(
                    "PhotoUpdatePolicy.ConflictingSignIn",
                    "-ManagedIdentityClientId, -ManagedIdentityObjectId and -ManagedIdentityResourceId go with -Identity (managed identity sign-in).",
                    "Add -Identity.");
            }

            if (modes.Count == 0)
            {
                if (BrowserByDefault)
                {
                    return "browser";
                }

                throw Usage(
                    "PhotoUpdatePolicy.IncompleteSignIn",
                    $"-ClientId '{ClientId}' alone does not sign in: add -ClientSecret, -ClientSecretCredential, -CertificateThumbprint, -CertificateSubjectName, -Certificate, -CertificatePath, -FederatedToken or -DeviceCode.",
                    "Example: -ClientId <app id> -TenantId <tenant> -CertificatePath ./app.pfx; or run Connect-PhotoUpdatePolicy -ClientId <public client> to sign in in the browser.");
            }

            switch (modes[0])
            {
                case "-AccessToken":
                    if (ClientId != null)
                    {
                        throw Usage("PhotoUpdatePolicy.ConflictingSignIn", "-ClientId does not go with -AccessToken: the token already names its application.");
                    }

                    return "accessToken";
                case "-ClientSecret":
                case "-ClientSecretCredential":
                    if (ClientSecretCredential != null)
                    {
                        if (string.IsNullOrWhiteSpace(ClientSecretCredential.UserName))
                        {
                            throw Usage("PhotoUpdatePolicy.IncompleteSignIn", "-ClientSecretCredential needs the application (client) ID as its user name.");
                        }

                        if (ClientId != null && !string.Equals(ClientId.Trim(), ClientSecretCredential.UserName.Trim(), StringComparison.OrdinalIgnoreCase))
                        {
                            throw Usage(
                                "PhotoUpdatePolicy.ConflictingSignIn",
                                $"-ClientId '{ClientId}' differs from the user name of -ClientSecretCredential ('{ClientSecretCredential.UserName}'), which is the client ID.");
                        }
                    }
                    else if (string.IsNullOrWhiteSpace(ClientId))
                    {
                        throw Usage("PhotoUpdatePolicy.IncompleteSignIn", "-ClientSecret needs -ClientId (the application ID of the app registration).");
                    }

                    return "clientSecret";
                case "-Identity":
                    // Connect-MgGraph's spelling of a user-assigned identity: -Identity -ClientId <id>.
                    if (ClientId != null)
                    {
                        if (ManagedIdentityClientId != null && !string.Equals(ClientId.Trim(), ManagedIdentityClientId.Trim(), StringComparison.OrdinalIgnoreCase))
                        {
                            throw Usage(
                                "PhotoUpdatePolicy.ConflictingSignIn",
                                $"-ClientId '{ClientId}' and -ManagedIdentityClientId '{ManagedIdentityClientId}' name different user-assigned identities; with -Identity, pass one of them.");
                        }

                        ManagedIdentityClientId = ClientId.Trim();
                    }

                    int ids = (ManagedIdentityClientId != null ? 1 : 0) + (ManagedIdentityObjectId != null ? 1 : 0) + (ManagedIdentityResourceId != null ? 1 : 0);
                    if (ids > 1)
                    {
                        throw Usage(
                            "PhotoUpdatePolicy.ConflictingSignIn",
                            "Name a user-assigned managed identity one way only: -ClientId (or -ManagedIdentityClientId), -ManagedIdentityObjectId or -ManagedIdentityResourceId.");
                    }

                    return "managedIdentity";
                case "-DeviceCode":
                    return "deviceCode";
                case "-FederatedToken":
                case "-FederatedTokenFile":
                    if (string.IsNullOrWhiteSpace(ClientId))
                    {
                        throw Usage(
                            "PhotoUpdatePolicy.IncompleteSignIn",
                            $"{modes[0]} needs -ClientId (the application whose federated credential trusts the token's issuer and subject) and -TenantId.",
                            "Example: -TenantId <tenant> -ClientId <app id> -FederatedToken $oidcToken.");
                    }

                    return "federated";
                case "-EnvironmentVariable":
                    return "environment";
                default:
                    if (string.IsNullOrWhiteSpace(ClientId))
                    {
                        throw Usage("PhotoUpdatePolicy.IncompleteSignIn", $"{modes[0]} needs -ClientId (the application ID of the app registration).");
                    }

                    return "certificate";
            }
        }

        /// <summary>The certificate parameters given, in the order they are named in messages.</summary>
        private string[] CertificateParameters()
        {
            var names = new List<string>();
            if (CertificateThumbprint != null)
            {
                names.Add("-CertificateThumbprint");
            }

            if (CertificateSubjectName != null)
            {
                names.Add("-CertificateSubjectName");
            }

            if (Certificate != null)
            {
                names.Add("-Certificate");
            }

            if (CertificatePath != null)
            {
                names.Add("-CertificatePath");
            }

            return names.ToArray();
        }

        /// <summary>
        /// -EnvironmentVariable: reads the variables Azure.Identity's EnvironmentCredential and
        /// WorkloadIdentityCredential read, in their order (a client secret, else a certificate,
        /// else a federated token file), and fills in what the parameters did not say. The values
        /// are read here, as PowerShell sees them ($env:X set in the session included). Returns the
        /// mode and, for a client secret, its bytes.
        /// </summary>
        private (string Mode, byte[]? Secret) FromEnvironmentVariables()
        {
            string? tenant = Variable("AZURE_TENANT_ID");
            string? client = Variable("AZURE_CLIENT_ID");
            if (string.IsNullOrWhiteSpace(TenantId) && tenant == null)
            {
                throw Usage(
                    "PhotoUpdatePolicy.IncompleteSignIn",
                    "-EnvironmentVariable needs AZURE_TENANT_ID (the tenant ID) in the environment, or -TenantId.",
                    "Set AZURE_TENANT_ID, AZURE_CLIENT_ID and one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE.");
            }

            if (string.IsNullOrWhiteSpace(ClientId) && client == null)
            {
                throw Usage(
                    "PhotoUpdatePolicy.IncompleteSignIn",
                    "-EnvironmentVariable needs AZURE_CLIENT_ID (the application ID) in the environment, or -ClientId.",
                    "Set AZURE_CLIENT_ID and one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE.");
            }

            TenantId = string.IsNullOrWhiteSpace(TenantId) ? tenant : TenantId;
            ClientId = string.IsNullOrWhiteSpace(ClientId) ? client : ClientId;
            if (AuthorityEndpoint == null && Variable("AZURE_AUTHORITY_HOST") is string host)
            {
                AuthorityEndpoint = new Uri(host, UriKind.Absolute);
            }

            string? secret = System.Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET");
            if (!string.IsNullOrWhiteSpace(secret))
            {
                return ("clientSecret", Utf8.SecretToUtf8(secret!.Trim()));
            }

            if (Variable("AZURE_CLIENT_CERTIFICATE_PATH") is string certificatePath)
            {
                CertificatePath = certificatePath;
                string? password = System.Environment.GetEnvironmentVariable("AZURE_CLIENT_CERTIFICATE_PASSWORD");
                if (!string.IsNullOrEmpty(password))
                {
                    var secure = new SecureString();
                    foreach (char c in password!)
                    {
                        secure.AppendChar(c);
                    }

                    secure.MakeReadOnly();
                    CertificatePassword = secure;
                }

                return ("certificate", null);
            }

            if (Variable("AZURE_FEDERATED_TOKEN_FILE") is string tokenFile)
            {
                FederatedTokenFile = tokenFile;
                return ("federated", null);
            }

            throw Usage(
                "PhotoUpdatePolicy.IncompleteSignIn",
                "-EnvironmentVariable found no credential: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (with AZURE_CLIENT_CERTIFICATE_PASSWORD for a protected PFX) or AZURE_FEDERATED_TOKEN_FILE.",
                "These are the variables of Azure.Identity's EnvironmentCredential and WorkloadIdentityCredential; on AKS workload identity the webhook sets them.");
        }

        private void RequireTenant(string what)
        {
            if (string.IsNullOrWhiteSpace(TenantId))
            {
                throw Usage(
                    "PhotoUpdatePolicy.IncompleteSignIn",
                    $"Signing in as an application with {what} needs -TenantId (the tenant ID or a verified domain such as contoso.onmicrosoft.com).",
                    "Add -TenantId.");
            }
        }

        /// <summary>
        /// The certificate named by the parameters: its PEM, and a signer for its key where it lives
        /// (or, for a PEM file, the key bytes from the file).
        /// </summary>
        private (string Pem, byte[]? Key, CertificateSigner? Signer) CertificateCredential()
        {
            if (CertificatePath != null)
            {
                return CertificateKeys.FromFile(CertificatePath, CertificatePassword);
            }

            CertificateSigner signer = Certificate != null
                ? CertificateKeys.SignerFor(Certificate, "-Certificate", owned: false)
                : CertificateSubjectName != null
                    ? CertificateKeys.SignerFor(CertificateKeys.FromStoreBySubject(CertificateSubjectName), "-CertificateSubjectName", owned: true)
                    : CertificateKeys.SignerFor(CertificateKeys.FromStore(CertificateThumbprint!), "-CertificateThumbprint", owned: true);
            return (signer.CertificatePem, null, signer);
        }

        /// <summary>
        /// Managed identity: the host is told by IDENTITY_ENDPOINT / IDENTITY_HEADER / IMDS_ENDPOINT.
        /// They are read here, as PowerShell sees them, and passed on explicitly: on Linux and macOS a
        /// variable set in PowerShell ($env:X = …) does not reach the native library's environment.
        /// The detection order is the core's (App Service, then Arc, then the VM's IMDS).
        /// </summary>
        private byte[]? ManagedIdentity(Dictionary<string, object?> auth)
        {
            if (ManagedIdentityClientId != null)
            {
                auth["clientId"] = ManagedIdentityClientId.Trim();
            }

            if (ManagedIdentityObjectId != null)
            {
                auth["objectId"] = ManagedIdentityObjectId.Trim();
            }

            if (ManagedIdentityResourceId != null)
            {
                auth["resourceId"] = ManagedIdentityResourceId.Trim();
            }

            string? identityEndpoint = Variable("IDENTITY_ENDPOINT");
            string? identityHeader = Variable("IDENTITY_HEADER");
            string? imdsEndpoint = Variable("IMDS_ENDPOINT");
            if (identityEndpoint != null && identityHeader != null)
            {
                auth["style"] = "appService";
                auth["endpoint"] = identityEndpoint;
                return Utf8.SecretToUtf8(identityHeader);
            }

            if (identityEndpoint != null && imdsEndpoint != null)
            {
                auth["style"] = "arc";
                auth["endpoint"] = identityEndpoint;
                if (Variable(ArcTokenDirVariable) is string dir)
                {
                    auth["arcTokenDir"] = dir;
                }

                return null;
            }

            auth["style"] = "imds";
            if (Variable(ImdsEndpointVariable) is string imds)
            {
                auth["endpoint"] = imds;
            }

            return null;
        }

        private static string? Variable(string name)
        {
            string? value = System.Environment.GetEnvironmentVariable(name);
            return string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
        }

        private static string? Endpoint(Uri? parameter, string variable)
        {
            string? endpoint = parameter?.OriginalString ?? Variable(variable);
            return endpoint?.TrimEnd('/');
        }

        /// <summary>A token given as a string or a SecureString, as UTF-8 bytes (zeroed by the caller after use).</summary>
        private static byte[] SecretBytes(object token, string parameter)
        {
            object value = token is PSObject pso ? pso.BaseObject : token;
            switch (value)
            {
                case SecureString secure:
                    return Utf8.SecretToUtf8(secure);
                case string text when !string.IsNullOrWhiteSpace(text):
                    return Utf8.SecretToUtf8(text.Trim());
            }

            throw new SignInParameterException(
                "PhotoUpdatePolicy.InvalidFederatedToken",
                $"{parameter} must be a string or a SecureString holding the identity provider's token (a JWT); got {(value is string ? "an empty string" : "a " + value.GetType().FullName)}.");
        }

        /// <summary>
        /// The token as UTF-8 bytes (zeroed by the caller after use), from whatever holds one: a
        /// SecureString, a string (a leading "Bearer " is dropped by the library), a PSCredential (the
        /// password), an AuthenticationHeaderValue, an HttpRequestMessage or HttpResponseMessage
        /// carrying one (Invoke-MgGraphRequest -OutputType HttpResponseMessage), or an object whose
        /// Token property holds one (Get-AzAccessToken).
        /// </summary>
        private static byte[] TokenBytes(object token)
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
                case System.Net.Http.Headers.AuthenticationHeaderValue header:
                    return HeaderBytes(header, "the AuthenticationHeaderValue");
                case System.Net.Http.HttpResponseMessage response:
                    return HeaderBytes(response.RequestMessage?.Headers.Authorization, "the HttpResponseMessage's RequestMessage");
                case System.Net.Http.HttpRequestMessage request:
                    return HeaderBytes(request.Headers.Authorization, "the HttpRequestMessage");
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

            throw new SignInParameterException(
                "PhotoUpdatePolicy.InvalidAccessToken",
                $"-AccessToken must be a SecureString, a string, a PSCredential, an AuthenticationHeaderValue, an HttpResponseMessage or HttpRequestMessage carrying one, or Get-AzAccessToken's output, holding a Microsoft Graph access token; got {(value is string ? "an empty string" : "a " + value.GetType().FullName)}.");
        }

        private static byte[] HeaderBytes(System.Net.Http.Headers.AuthenticationHeaderValue? header, string what)
        {
            if (header == null || !string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(header.Parameter))
            {
                throw new SignInParameterException(
                    "PhotoUpdatePolicy.InvalidAccessToken",
                    $"-AccessToken: {what} carries no 'Authorization: Bearer <token>' header{(header == null ? string.Empty : $" (its scheme is '{header.Scheme}')")}.",
                    "Pass the output of Invoke-MgGraphRequest -OutputType HttpResponseMessage, or use -MgGraph.");
            }

            return Utf8.SecretToUtf8(header.Parameter!.Trim());
        }

        private static SignInParameterException Usage(string errorId, string message, string? action = null) =>
            new SignInParameterException(errorId, message, action);
    }
}
