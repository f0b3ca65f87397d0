using System;
using System.Runtime.InteropServices;

namespace PhotoUpdatePolicy.Native
{
    // One SafeHandle per opaque native type, so every handle is freed exactly once, by the function
    // the C ABI names for it, even when a cmdlet is stopped or throws. Public parameterless
    // constructors are required by the P/Invoke marshaller for `out` parameters.

    /// <summary>
    /// Owns a <c>PupClient*</c>, or borrows one (<see cref="Borrow"/>): a borrowed handle keeps the
    /// owner's native client alive until it is disposed and never frees it, so the session
    /// connection's client can be used by a cmdlet while Disconnect-PhotoUpdatePolicy runs.
    /// </summary>
    internal sealed class ClientHandle : SafeHandle
    {
        private ClientHandle? owner;

        public ClientHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid => handle == IntPtr.Zero;

        /// <summary>
        /// A handle to <paramref name="owner"/>'s client that holds a reference on it (the native
        /// client is freed only after the owner and every borrowed handle are disposed). Throws
        /// <see cref="ObjectDisposedException"/> when the owner was already disposed.
        /// </summary>
        internal static ClientHandle Borrow(ClientHandle owner)
        {
            var borrowed = new ClientHandle();
            bool added = false;
            owner.DangerousAddRef(ref added);
            borrowed.owner = owner;
            borrowed.SetHandle(owner.DangerousGetHandle());
            return borrowed;
        }

        protected override bool ReleaseHandle()
        {
            if (owner != null)
            {
                owner.DangerousRelease();
                owner = null;
                return true;
            }

            NativeMethods.pup_client_free(handle);
            return true;
        }
    }

    /// <summary>Owns a <c>PupResult*</c>.</summary>
    internal sealed class ResultHandle : SafeHandle
    {
        public ResultHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            NativeMethods.pup_result_free(handle);
            return true;
        }
    }

    /// <summary>Owns a <c>PupPlan*</c> (a change planned against the policy as read).</summary>
    internal sealed class PlanHandle : SafeHandle
    {
        public PlanHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        /// <summary>Takes over a plan the library wrote into an array (<c>pup_fleet_plan_begin</c>).</summary>
        internal PlanHandle(IntPtr plan) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(plan);

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            NativeMethods.pup_plan_free(handle);
            return true;
        }
    }

    /// <summary>Owns a <c>PupError*</c>.</summary>
    internal sealed class ErrorHandle : SafeHandle
    {
        public ErrorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            NativeMethods.pup_error_free(handle);
            return true;
        }
    }

    /// <summary>Owns a <c>PupCallContext*</c> (cancellation and event sink of one call).</summary>
    internal sealed class CallContextHandle : SafeHandle
    {
        public CallContextHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            NativeMethods.pup_call_context_free(handle);
            return true;
        }
    }
}
