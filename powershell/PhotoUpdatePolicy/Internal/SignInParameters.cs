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
            || DeviceCode;

        /// <summary>The Graph endpoint in effect (parameter, else environment variable), or null.</summary>
        internal string? EffectiveGraphEndpoint => Endpoint(GraphEndpoint, GraphEndpointVariable);

        /// <summary>The sign-in authority in effect (parameter, else environment variable), or null.</summary>
        internal string? EffectiveAuthorityEndpoint => Endpoint(AuthorityEndpoint, AuthorityEndpointVariable);

        /// <summary>
        /// The client config and the secret bytes (the caller zeroes them after the call). Throws
        /// <see cref="SignInParameterException"/> for parameters that do not go together.
        /// </summary>
        internal (Dictionary<string, object?> Config, byte[]? Secret) Build()
        {
            string mode = Mode();
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
                    return (config, TokenBytes(AccessToken!));
                case "clientSecret":
                    RequireTenant("a client secret");
                    if (ClientSecretCredential != null)
                    {
                        auth["clientId"] = ClientSecretCredential.UserName.Trim();
                        return (config, Utf8.SecretToUtf8(ClientSecretCredential.Password));
                    }

                    auth["clientId"] = ClientId!.Trim();
                    return (config, Utf8.SecretToUtf8(ClientSecret!));
                case "certificate":
                    RequireTenant("a certificate");
                    auth["clientId"] = ClientId!.Trim();
                    (string pem, byte[] key) = CertificateSecret();
                    auth["certificatePem"] = pem;
                    return (config, key);
                case "managedIdentity":
                    return (config, ManagedIdentity(auth));
                default:
                    if (ClientId != null)
                    {
                        auth["clientId"] = ClientId.Trim();
                    }

                    return (config, null);
            }
        }

        /// <summary>The auth mode the parameters name, checking that they go together.</summary>
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

            if (CertificateThumbprint != null || Certificate != null || CertificatePath != null)
            {
                modes.Add(CertificateThumbprint != null ? "-CertificateThumbprint" : Certificate != null ? "-Certificate" : "-CertificatePath");
            }

            if (Identity)
            {
                modes.Add("-Identity");
            }

            if (DeviceCode)
            {
                modes.Add("-DeviceCode");
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
                    "Use one of -AccessToken, -ClientSecret/-ClientSecretCredential, -CertificateThumbprint/-Certificate/-CertificatePath, -Identity or -DeviceCode.");
            }

            int certificates = (CertificateThumbprint != null ? 1 : 0) + (Certificate != null ? 1 : 0) + (CertificatePath != null ? 1 : 0);
            if (certificates > 1)
            {
                throw Usage("PhotoUpdatePolicy.ConflictingSignIn", "Use only one of -CertificateThumbprint, -Certificate and -CertificatePath.");
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
                throw Usage(
                    "PhotoUpdatePolicy.IncompleteSignIn",
                    $"-ClientId '{ClientId}' alone does not sign in: add -ClientSecret, -ClientSecretCredential, -CertificateThumbprint, -Certificate, -CertificatePath or -DeviceCode.",
                    "Example: -ClientId <app id> -TenantId <tenant> -CertificatePath ./app.pfx.");
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
                    if (ClientId != null)
                    {
                        throw Usage(
                            "PhotoUpdatePolicy.ConflictingSignIn",
                            "-ClientId does not go with -Identity; a user-assigned managed identity is named with -ManagedIdentityClientId.");
                    }

                    int ids = (ManagedIdentityClientId != null ? 1 : 0) + (ManagedIdentityObjectId != null ? 1 : 0) + (ManagedIdentityResourceId != null ? 1 : 0);
                    if (ids > 1)
                    {
                        throw Usage(
                            "PhotoUpdatePolicy.ConflictingSignIn",
                            "Name a user-assigned managed identity one way only: -ManagedIdentityClientId, -ManagedIdentityObjectId or -ManagedIdentityResourceId.");
                    }

                    return "managedIdentity";
                case "-DeviceCode":
                    return "deviceCode";
                default:
                    if (string.IsNullOrWhiteSpace(ClientId))
                    {
                        throw Usage("PhotoUpdatePolicy.IncompleteSignIn", $"{modes[0]} needs -ClientId (the application ID of the app registration).");
                    }

                    return "certificate";
            }
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

        private (string Pem, byte[] Key) CertificateSecret()
        {
            if (Certificate != null)
            {
                return CertificateKeys.FromCertificate(Certificate, "-Certificate");
            }

            if (CertificatePath != null)
            {
                return CertificateKeys.FromFile(CertificatePath, CertificatePassword);
            }

            using X509Certificate2 fromStore = CertificateKeys.FromStore(CertificateThumbprint!);
            return CertificateKeys.FromCertificate(fromStore, "-CertificateThumbprint");
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

        /// <summary>The token as UTF-8 bytes (zeroed by the caller after use).</summary>
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
                $"-AccessToken must be a SecureString or a string holding a Microsoft Graph access token; got {(value is string ? "an empty string" : "a " + value.GetType().FullName)}.");
        }

        private static SignInParameterException Usage(string errorId, string message, string? action = null) =>
            new SignInParameterException(errorId, message, action);
    }
}
