using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PhotoUpdatePolicy.Json;

namespace PhotoUpdatePolicy
{
    /// <summary>
    /// A Microsoft Graph connection made by Connect-PhotoUpdatePolicy (or described for it): who
    /// signed in, where, how, until when and with what permissions. It never holds the token or a
    /// secret, so it is safe to print, log or convert to JSON.
    /// </summary>
    public sealed class Connection
    {
        internal Connection(Dictionary<string, object?> info, string? graphEndpoint, string? authorityEndpoint)
        {
            TenantId = JsonTree.String(info, "tenantId");
            Cloud = JsonTree.String(info, "cloud") ?? "Global";
            AuthMode = AuthModeName(JsonTree.String(info, "authMode"));
            ClientId = JsonTree.String(info, "clientId");
            Identity = JsonTree.String(info, "identity");
            const string certificatePrefix = "certificate ";
            if (Identity != null && AuthMode == "Certificate" && Identity.StartsWith(certificatePrefix, StringComparison.OrdinalIgnoreCase))
            {
                CertificateThumbprint = Identity.Substring(certificatePrefix.Length).Trim().ToUpperInvariant();
            }

            Account = JsonTree.String(info, "account");
            string? expires = JsonTree.String(info, "tokenExpiresOn");
            if (expires != null && DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset when))
            {
                ExpiresOn = when;
            }

            Scopes = DisplayList.Of(JsonTree.List(info, "scopes").Select(JsonTree.Scalar).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!));
            Roles = DisplayList.Of(JsonTree.List(info, "roles").Select(JsonTree.Scalar).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!));
            DirectoryRoles = DisplayList.Of(JsonTree.List(info, "directoryRoles")
                .OfType<Dictionary<string, object?>>()
                .Select(r => new DirectoryRole(JsonTree.String(r, "id") ?? string.Empty, JsonTree.String(r, "name"))));
            CanChangePolicy = JsonTree.Bool(info, "canChangePolicy");
            GraphEndpoint = graphEndpoint;
            AuthorityEndpoint = authorityEndpoint;
        }

        /// <summary>The tenant ID, from the token.</summary>
        public string? TenantId { get; }

        /// <summary>The national cloud: Global, USGov, USGovDoD or China.</summary>
        public string Cloud { get; }

        /// <summary>How the session signed in: Browser, DeviceCode, AccessToken, ClientSecret, Certificate, Federated or ManagedIdentity.</summary>
        public string AuthMode { get; }

        /// <summary>The application (client) ID that signed in, when known.</summary>
        public string? ClientId { get; }

        /// <summary>The certificate's SHA-1 thumbprint (certificate sign-in only).</summary>
        public string? CertificateThumbprint { get; }

        /// <summary>More about the identity (managed identity kind, certificate), when known.</summary>
        public string? Identity { get; }

        /// <summary>The signed-in user (delegated sign-in only).</summary>
        public string? Account { get; }

        /// <summary>When the current token expires; it is refreshed before then (except a token passed with -AccessToken).</summary>
        public DateTimeOffset? ExpiresOn { get; }

        /// <summary>Delegated permissions (scopes) the token grants.</summary>
        public DisplayList<string> Scopes { get; }

        /// <summary>Application permissions (app roles) the token grants.</summary>
        public DisplayList<string> Roles { get; }

        /// <summary>Directory roles of the signed-in user, as listed in the token.</summary>
        public DisplayList<DirectoryRole> DirectoryRoles { get; }

        /// <summary>The Graph endpoint override, when one was given (e.g. the Graph emulator).</summary>
        public string? GraphEndpoint { get; }

        /// <summary>The sign-in authority override, when one was given.</summary>
        public string? AuthorityEndpoint { get; }

        /// <summary>
        /// Whether the token shows it may change the policy: it grants PeopleSettings.ReadWrite.All
        /// and, for a signed-in user whose token lists directory roles, one that may manage the
        /// policy (Global Administrator, User Administrator, People Administrator). False for a
        /// token that cannot be read. Decided by the native core, with the rule its pre-flight uses.
        /// </summary>
        public bool CanChangePolicy { get; }

        /// <summary>One line: tenant, cloud, mode, who, expiry.</summary>
        public override string ToString()
        {
            string who = Account ?? ClientId ?? "(unknown)";
            string expiry = ExpiresOn.HasValue ? ExpiresOn.Value.ToString("u", CultureInfo.InvariantCulture) : "unknown";
            return $"{TenantId ?? "(tenant unknown)"} ({Cloud}) via {AuthMode} as {who}, token valid until {expiry}";
        }

        private static string AuthModeName(string? mode) => mode switch
        {
            "clientSecret" => "ClientSecret",
            "certificate" => "Certificate",
            "managedIdentity" => "ManagedIdentity",
            "deviceCode" => "DeviceCode",
            "browser" => "Browser",
            "federated" => "Federated",
            "accessToken" => "AccessToken",
            null => "AccessToken",
            _ => mode,
        };
    }

    /// <summary>A directory role held by the signed-in user (from the token's <c>wids</c>).</summary>
    public sealed class DirectoryRole
    {
        internal DirectoryRole(string id, string? name)
        {
            Id = id;
            Name = name;
        }

        /// <summary>The role template ID.</summary>
        public string Id { get; }

        /// <summary>The role's name when the module knows it.</summary>
        public string? Name { get; }

        /// <summary>"Name (id)" or the ID alone.</summary>
        public override string ToString() => Name == null ? Id : $"{Name} ({Id})";
    }
}
