using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Native handles kept alive (AddRef) for one native call that takes them as an array of raw
    /// pointers (fleet runs and plans, access over many tenants). <see cref="Raw"/> is the array
    /// to pin; Dispose releases every handle that was added, also when adding one failed.
    /// </summary>
    internal sealed class HeldHandles : IDisposable
    {
        private readonly IReadOnlyList<SafeHandle> handles;
        private readonly bool[] added;

        /// <summary>Adds a reference to each of <paramref name="handles"/>, in order.</summary>
        internal HeldHandles(IReadOnlyList<SafeHandle> handles)
        {
            this.handles = handles;
            added = new bool[handles.Count];
            Raw = new IntPtr[handles.Count];
            try
            {
                for (int i = 0; i < handles.Count; i++)
                {
                    handles[i].DangerousAddRef(ref added[i]);
                    Raw[i] = handles[i].DangerousGetHandle();
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>The raw pointers, valid until Dispose.</summary>
        internal IntPtr[] Raw { get; }

        /// <summary>Releases the references this object added.</summary>
        public void Dispose()
        {
            for (int i = 0; i < added.Length; i++)
            {
                if (added[i])
                {
                    handles[i].DangerousRelease();
                    added[i] = false;
                }
            }
        }
    }
}
