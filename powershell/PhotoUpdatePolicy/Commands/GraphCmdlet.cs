using System;
using System.Management.Automation;
using PhotoUpdatePolicy.Internal;

namespace PhotoUpdatePolicy.Commands
{
    /// <summary>
    /// Base of every cmdlet that talks to Microsoft Graph: with none of the sign-in parameters
    /// (<see cref="SignInCmdlet"/>) the cmdlet uses the session's connection
    /// (Connect-PhotoUpdatePolicy); with them it signs in for this call only.
    /// </summary>
    public abstract partial class GraphCmdlet : SignInCmdlet
    {
        /// <summary>
        /// Under -WhatIf (or $WhatIfPreference), says that the command would change nothing, as a
        /// "What if:" line like the ones of a real change; otherwise does nothing. A -WhatIf that
        /// prints nothing reads as if the command had not run at all.
        /// </summary>
        internal void WriteWhatIfNothing(string message)
        {
            object? whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? bound)
                ? bound
                : SessionState.PSVariable.GetValue("WhatIfPreference");
            if (LanguagePrimitives.IsTrue(whatIf))
            {
                // ShouldProcess under -WhatIf only prints the description and returns false.
                ShouldProcess(message, message, MyInvocation.MyCommand.Name);
            }
        }

        /// <summary>
        /// Whether a client made for this command's sign-in parameters is kept for the next command
        /// that gives the same ones (<see cref="ClientCache"/>). The fleet cmdlets make one per tenant
        /// and do not.
        /// </summary>
        internal virtual bool ReusesClients => true;

        /// <summary>A description of the tenant for messages ("tenant 'contoso…'" or "the signed-in tenant").</summary>
        internal string TenantLabel(string? knownTenant = null)
        {
            string? tenant = knownTenant ?? TenantId;
            return string.IsNullOrEmpty(tenant) ? "the signed-in tenant" : $"tenant '{tenant}'";
        }

        /// <summary>
        /// A -BackupPath for the core: resolved as PowerShell's file cmdlets resolve a path to write
        /// (the PowerShell location, <c>~</c>, PSDrives; taken literally), refused with a terminating
        /// error when it is not a file system path; a folder (given with a trailing separator, or
        /// <paramref name="folder"/>) keeps a trailing separator, so the core writes
        /// photoUpdatePolicy-&lt;tenant&gt;-&lt;time&gt;.json into it.
        /// </summary>
        internal string ResolveBackupPath(string path, bool folder = false)
        {
            string full;
            try
            {
                full = FileSystemPaths.Resolve(this, path, literal: true);
            }
            catch (UsageException ex)
            {
                ThrowUsageError(ex.ErrorId, $"-BackupPath: {ex.Message}", ErrorCategory.InvalidArgument, ex.Target);
                throw;
            }

            folder |= path.EndsWith("/", StringComparison.Ordinal) || path.EndsWith("\\", StringComparison.Ordinal);
            return folder && !full.EndsWith(System.IO.Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal)
                ? full + System.IO.Path.DirectorySeparatorChar
                : full;
        }

        /// <summary>
        /// A client for this record: a new one when sign-in parameters are given, else the session's
        /// connection (borrowed). Writes the error and returns null when the client cannot be made.
        /// The caller disposes it (which never frees the session's client).
        /// </summary>
        internal NativeClient? TryCreateClient()
        {
            SignInParameters signIn;
            try
            {
                signIn = CollectSignIn();
            }
            catch (SignInParameterException ex)
            {
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, null, ex.RecommendedAction);
                return null;
            }

            if (!signIn.HasCredentials)
            {
                return SessionClient();
            }

            try
            {
                return NativeClient.Open(Native, signIn, Limits, ReusesClients);
            }
            catch (SignInParameterException ex)
            {
                ThrowUsageError(ex.ErrorId, ex.Message, ErrorCategory.InvalidArgument, null, ex.RecommendedAction);
                return null;
            }
            catch (PhotoPolicyException ex)
            {
                WriteNativeError(ex, TenantId);
                return null;
            }
        }

        /// <summary>The session's client, when it is connected to the tenant and cloud asked for.</summary>
        private NativeClient? SessionClient()
        {
            NativeClient? client = NativeClient.BorrowSession(Native, Limits, out SessionConnection? session);
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

            if (Environment != null && !string.Equals(Environment, session.Info.Cloud, StringComparison.OrdinalIgnoreCase))
            {
                client.Dispose();
                string problem = $"The session is connected to the {session.Info.Cloud} cloud, not {Environment}: nothing was sent.";
                var record = new ErrorRecord(
                    new InvalidOperationException(problem),
                    "PhotoUpdatePolicy.ConnectionMismatch",
                    ErrorCategory.InvalidArgument,
                    TenantId);
                record.ErrorDetails = new ErrorDetails(problem)
                {
                    RecommendedAction = "Connect to that cloud with Connect-PhotoUpdatePolicy -Environment, or pass sign-in parameters for it to this command.",
                };
                WriteError(record);
                return null;
            }

            if (!string.IsNullOrWhiteSpace(TenantId) && !session.IsTenant(TenantId!))
            {
                // Another tenant: an application connection signs in there with the same app (its
                // own token cache); a user's, a managed identity's or a token's connection cannot,
                // and the native error says why and what to pass.
                try
                {
                    return new NativeClient(session.BorrowForTenant(TenantId!), Native);
                }
                catch (PhotoPolicyException ex)
                {
                    var record = ex.ToErrorRecord(TenantId);
                    WriteError(new ErrorRecord(record.Exception, "PhotoUpdatePolicy.ConnectionMismatch", record.CategoryInfo.Category, TenantId)
                    {
                        ErrorDetails = record.ErrorDetails,
                    });
                    return null;
                }
                catch (ObjectDisposedException)
                {
                    ThrowUsageError(
                        "PhotoUpdatePolicy.NotConnected",
                        "Not connected: the connection was closed while this command started. Run Connect-PhotoUpdatePolicy again.",
                        ErrorCategory.AuthenticationError,
                        null,
                        null);
                    return null;
                }
                finally
                {
                    client.Dispose();
                }
            }

            return client;
        }
    }
}
