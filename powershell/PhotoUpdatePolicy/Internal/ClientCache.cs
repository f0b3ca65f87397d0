using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// The clients made for sign-in parameters given to a single command (<c>-AccessToken</c>,
    /// <c>-ClientSecret</c>, a certificate, <c>-Identity</c>), kept for the next command that gives
    /// the same ones.
    ///
    /// A native client owns its cached token: reusing it means a script that passes
    /// <c>-ClientSecret</c> or <c>-Identity</c> to every command signs in once, not once per command,
    /// and a warm call skips building the client. An entry matches only the same client config (JSON,
    /// no secrets in it) and the same secret bytes (compared by their SHA-256, so the cache keeps no
    /// copy of the secret; the native client keeps its own zeroizing copy, as it does for the call).
    /// At most <see cref="Capacity"/> clients are kept, each for <see cref="IdleLifetime"/> after its
    /// last use; <c>Disconnect-PhotoUpdatePolicy</c> and removing the module forget them all.
    /// Device code sign-ins are never cached (they are made by Connect-PhotoUpdatePolicy for a
    /// session), nor are the fleet's per-tenant clients (a fleet run would only churn the cache).
    /// </summary>
    internal static class ClientCache
    {
        /// <summary>Clients kept at most (the most recently used ones).</summary>
        internal const int Capacity = 4;

        /// <summary>How long an unused client is kept.</summary>
        internal static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(15);

        private static readonly object Gate = new object();

        // Most recently used first.
        private static readonly LinkedList<Entry> Entries = new LinkedList<Entry>();

        /// <summary>How many clients are kept now (for tests and diagnostics).</summary>
        internal static int Count
        {
            get
            {
                lock (Gate)
                {
                    return Entries.Count;
                }
            }
        }

        /// <summary>
        /// A borrowed handle (dispose it after the call) to the kept client for this config and
        /// secret, or to a new one made by <paramref name="create"/> and kept. The caller still zeroes
        /// <paramref name="secret"/>.
        /// </summary>
        internal static ClientHandle GetOrCreate(string configJson, byte[]? secret, Func<ClientHandle> create)
        {
            DateTime now = DateTime.UtcNow;
            var evicted = new List<Entry>();
            try
            {
                lock (Gate)
                {
                    for (LinkedListNode<Entry>? node = Entries.First; node != null; node = node.Next)
                    {
                        Entry entry = node.Value;
                        if (entry.Matches(configJson, secret) && now - entry.LastUsed < IdleLifetime)
                        {
                            entry.LastUsed = now;
                            Entries.Remove(node);
                            Entries.AddFirst(node);
                            return ClientHandle.Borrow(entry.Client);
                        }
                    }
                }

                // Made outside the lock: two commands racing here each make one, and both are kept
                // until evicted; nothing is shared half-made. The entry copies the secret first:
                // making the client zeroes the caller's buffer.
                var added = new Entry(configJson, secret, now);
                try
                {
                    added.Client = create();
                }
                catch
                {
                    added.Dispose();
                    throw;
                }

                lock (Gate)
                {
                    Entries.AddFirst(added);
                    for (LinkedListNode<Entry>? node = Entries.Last; node != null;)
                    {
                        LinkedListNode<Entry>? previous = node.Previous;
                        if (Entries.Count > Capacity || now - node.Value.LastUsed >= IdleLifetime)
                        {
                            Entries.Remove(node);
                            evicted.Add(node.Value);
                        }

                        node = previous;
                    }

                    return ClientHandle.Borrow(added.Client);
                }
            }
            finally
            {
                // A client still in use by another command is freed when that command disposes its
                // borrowed handle.
                foreach (Entry entry in evicted)
                {
                    entry.Dispose();
                }
            }
        }

        /// <summary>Forgets every kept client (Disconnect-PhotoUpdatePolicy, module removal).</summary>
        internal static int Clear()
        {
            List<Entry> entries;
            lock (Gate)
            {
                entries = new List<Entry>(Entries);
                Entries.Clear();
            }

            foreach (Entry entry in entries)
            {
                entry.Dispose();
            }

            return entries.Count;
        }

        private sealed class Entry : IDisposable
        {
            private readonly string configJson;
            private readonly int secretLength;
            private IntPtr secretCopy;

            internal Entry(string configJson, byte[]? secret, DateTime lastUsed)
            {
                this.configJson = configJson;
                secretLength = secret?.Length ?? 0;

                // Unmanaged memory: never moved or copied by the GC, zeroed on Dispose. (A pinned
                // managed array kept this long fragmented the GC's youngest generation: the
                // working set crept up by 0.25 MB per 1,000 calls, docs/performance.md.)
                secretCopy = Marshal.AllocHGlobal(Math.Max(1, secretLength));
                if (secretLength > 0)
                {
                    Marshal.Copy(secret!, 0, secretCopy, secretLength);
                }

                LastUsed = lastUsed;
            }

            /// <summary>The kept client (set once, right after the entry is made).</summary>
            internal ClientHandle Client { get; set; } = null!;

            internal DateTime LastUsed { get; set; }

            internal unsafe bool Matches(string config, byte[]? secret)
            {
                int length = secret?.Length ?? 0;
                if (!string.Equals(configJson, config, StringComparison.Ordinal) || length != secretLength)
                {
                    return false;
                }

                // Constant time: how much of a secret matched never shows in the timing.
                byte* copy = (byte*)secretCopy;
                int difference = 0;
                for (int i = 0; i < length; i++)
                {
                    difference |= secret![i] ^ copy[i];
                }

                return difference == 0;
            }

            /// <summary>Zeroes and frees the secret copy, and frees the client (once no command borrows it).</summary>
            public unsafe void Dispose()
            {
                if (secretCopy != IntPtr.Zero)
                {
                    byte* copy = (byte*)secretCopy;
                    for (int i = 0; i < secretLength; i++)
                    {
                        copy[i] = 0;
                    }

                    Marshal.FreeHGlobal(secretCopy);
                    secretCopy = IntPtr.Zero;
                }

                Client?.Dispose();
            }
        }
    }
}
