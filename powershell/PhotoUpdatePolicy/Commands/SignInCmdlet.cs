using System;
using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// The sign-in parameters a cmdlet declares. Connect-PhotoUpdatePolicy declares them with
    /// parameter sets and <see cref="GraphCmdlet"/> without (so their attributes stay on each
    /// cmdlet), but both turn them into <see cref="SignInParameters"/> the same way:
    /// <see cref="SignInCmdlet.Collect{T}"/>.
    /// </summary>
    internal interface ISignInCmdlet
    {
        /// <summary>-AccessToken.</summary>
        object? AccessToken { get; }

        /// <summary>-ClientId.</summary>
        string? ClientId { get; }

        /// <summary>-ClientSecret.</summary>
        SecureString? ClientSecret { get; }

        /// <summary>-ClientSecretCredential.</summary>
        PSCredential? ClientSecretCredential { get; }

        /// <summary>-CertificateThumbprint.</summary>
        string? CertificateThumbprint { get; }

        /// <summary>-Certificate.</summary>
        X509Certificate2? Certificate { get; }

        /// <summary>-CertificatePath, as given (a PowerShell path).</summary>
        string? CertificatePath { get; }

        /// <summary>-CertificatePassword.</summary>
        SecureString? CertificatePassword { get; }

        /// <summary>-Identity.</summary>
        SwitchParameter Identity { get; }

        /// <summary>-ManagedIdentityClientId.</summary>
        string? ManagedIdentityClientId { get; }

        /// <summary>-ManagedIdentityObjectId.</summary>
        string? ManagedIdentityObjectId { get; }

        /// <summary>-ManagedIdentityResourceId.</summary>
        string? ManagedIdentityResourceId { get; }

        /// <summary>-DeviceCode.</summary>
        SwitchParameter DeviceCode { get; }

        /// <summary>-TenantId.</summary>
        string? TenantId { get; }

        /// <summary>-Environment.</summary>
        string? Environment { get; }

        /// <summary>-GraphEndpoint.</summary>
        Uri? GraphEndpoint { get; }

        /// <summary>-AuthorityEndpoint.</summary>
        Uri? AuthorityEndpoint { get; }

        /// <summary>-AllowInsecureLoopback.</summary>
        SwitchParameter AllowInsecureLoopback { get; }
    }

    /// <summary>The one builder of <see cref="SignInParameters"/> from a cmdlet's bound sign-in parameters.</summary>
    internal static class SignInCmdlet
    {
        /// <summary>
        /// The sign-in parameters bound to <paramref name="cmdlet"/>'s current record: file paths are
        /// resolved against the PowerShell location, and -AllowInsecureLoopback is null when not bound
        /// (so the environment variable's default applies).
        /// </summary>
        internal static SignInParameters Collect<T>(T cmdlet)
            where T : PSCmdlet, ISignInCmdlet => new SignInParameters
            {
                AccessToken = cmdlet.AccessToken,
                ClientId = cmdlet.ClientId,
                ClientSecret = cmdlet.ClientSecret,
                ClientSecretCredential = cmdlet.ClientSecretCredential,
                CertificateThumbprint = cmdlet.CertificateThumbprint,
                Certificate = cmdlet.Certificate,
                CertificatePath = cmdlet.CertificatePath == null ? null : cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(cmdlet.CertificatePath),
                CertificatePassword = cmdlet.CertificatePassword,
                Identity = cmdlet.Identity.IsPresent,
                ManagedIdentityClientId = cmdlet.ManagedIdentityClientId,
                ManagedIdentityObjectId = cmdlet.ManagedIdentityObjectId,
                ManagedIdentityResourceId = cmdlet.ManagedIdentityResourceId,
                DeviceCode = cmdlet.DeviceCode.IsPresent,
                TenantId = cmdlet.TenantId,
                Environment = cmdlet.Environment,
                GraphEndpoint = cmdlet.GraphEndpoint,
                AuthorityEndpoint = cmdlet.AuthorityEndpoint,
                AllowInsecureLoopback = cmdlet.MyInvocation.BoundParameters.ContainsKey(nameof(ISignInCmdlet.AllowInsecureLoopback)) ? cmdlet.AllowInsecureLoopback.IsPresent : (bool?)null,
            };
    }
}
