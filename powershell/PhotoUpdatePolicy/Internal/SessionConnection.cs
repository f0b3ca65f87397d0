using System;
using System.Management.Automation;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// The connection made by Connect-PhotoUpdatePolicy: one native client (so every cmdlet reuses its
    /// token cache and warm HTTP connections) and what is known about it. Process-wide, like the
    /// Microsoft Graph SDK's session, so parallel runspaces (ForEach-Object -Parallel, thread jobs)
    /// of the same PowerShell process share it.
    /// </summary>
    internal sealed class SessionConnection : IDisposable
    {
        private static readonly object Gate = new object();
        private static SessionConnection? current;

        /// <summary>Clients for other tenants made with this connection's app credentials, by tenant (case-insensitive).</summary>
        private readonly System.Collections.Generic.Dictionary<string, ClientHandle> tenantClients =
            new System.Collections.Generic.Dictionary<string, ClientHandle>(StringComparer.OrdinalIgnoreCase);

        private bool disposed;

        /// <summary>
        /// The connection for <paramref name="client"/>, a client made for it (not borrowed): the
        /// connection takes over its native client, and frees it on <see cref="Dispose"/>.
        /// </summary>
        internal SessionConnection(NativeClient client, Connection info, string? configuredTenant)
        {
            Client = client.Handle;
            Info = info;
            ConfiguredTenant = configuredTenant;
        }

        /// <summary>The owned native client; cmdlets use <see cref="ClientHandle.Borrow"/> copies.</summary>
        internal ClientHandle Client { get; }

        /// <summary>What Connect (or the latest Get-PhotoUpdatePolicyConnection) learned.</summary>
        internal Connection Info { get; set; }

        /// <summary>The -TenantId given to Connect (a GUID or a domain), if any.</summary>
        internal string? ConfiguredTenant { get; }

        /// <summary>The session's connection, or null.</summary>
        internal static SessionConnection? Current
        {
            get
            {
                lock (Gate)
                {
                    return current;
                }
            }
        }

        /// <summary>Makes <paramref name="next"/> the session's connection; returns the previous one (the caller disposes it).</summary>
        internal static SessionConnection? Replace(SessionConnection? next)
        {
            lock (Gate)
            {
                SessionConnection? previous = current;
                current = next;
                return previous;
            }
        }

        /// <summary>
        /// A borrowed handle to the session's client (dispose it after the call), or null when not
        /// connected. A Disconnect in the meantime frees the native client only after it is disposed.
        /// </summary>
        internal static ClientHandle? Borrow(out SessionConnection? connection)
        {
            lock (Gate)
            {
                connection = current;
                if (connection == null)
                {
                    return null;
                }

                try
                {
                    return ClientHandle.Borrow(connection.Client);
                }
                catch (ObjectDisposedException)
                {
                    connection = null;
                    return null;
                }
            }
        }

        /// <summary>Whether <paramref name="tenant"/> names this connection's tenant (its ID or the domain given to Connect).</summary>
        internal bool IsTenant(string tenant)
        {
            string t = tenant.Trim();
            return string.Equals(t, Info.TenantId, StringComparison.OrdinalIgnoreCase)
                || string.Equals(t, ConfiguredTenant?.Trim(), StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>
        /// A borrowed handle to this connection's client for another <paramref name="tenant"/>
        /// (dispose it after the call): made once with the connection's application credentials
        /// and kept with the connection, so each tenant of a fleet keeps its own cached token.
        /// Throws <see cref="PhotoPolicyException"/> when the connection's sign-in belongs to one
        /// tenant (a user, a managed identity, an access token), and
        /// <see cref="ObjectDisposedException"/> after Disconnect.
        /// </summary>
        internal ClientHandle BorrowForTenant(string tenant)
        {
            string key = tenant.Trim();
            lock (tenantClients)
            {
                if (disposed)
                {
                    throw new ObjectDisposedException(nameof(SessionConnection));
                }

                if (!tenantClients.TryGetValue(key, out ClientHandle? owned))
                {
                    owned = NativeClient.CreateForTenant(Client, key);
                    tenantClients[key] = owned;
                }

                return ClientHandle.Borrow(owned);
            }
        }

        /// <summary>Frees the native clients (their secrets and cached tokens are zeroed) once no call uses them.</summary>
        public void Dispose()
        {
            lock (tenantClients)
            {
                disposed = true;
                foreach (ClientHandle c in tenantClients.Values)
                {
                    c.Dispose();
                }

                tenantClients.Clear();
            }

            Client.Dispose();
        }
    }

    /// <summary>Remove-Module PhotoUpdatePolicy forgets the session's connection, like Disconnect-PhotoUpdatePolicy.</summary>
    public sealed class SessionConnectionCleanup : IModuleAssemblyCleanup
    {
        /// <summary>Called by PowerShell when the module is removed.</summary>
        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            SessionConnection.Replace(null)?.Dispose();
            ClientCache.Clear();
        }
    }
}
