using System;
using System.Runtime.InteropServices;

namespace PhotoUpdatePolicy.Native
{
    /// <summary>
    /// Receives events from a native call (<c>PupEventFn</c>). Runs while the call is in progress,
    /// usually on the thread that made it, possibly on another; <paramref name="message"/> is valid
    /// only during the call.
    /// </summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void PupEventCallback(IntPtr userData, uint level, IntPtr message, UIntPtr length);

    /// <summary>
    /// Signs a client assertion with a certificate's key where it lives (<c>PupSignFn</c>): called on a
    /// library thread, possibly several at once; must not throw into native code (see
    /// <see cref="PhotoUpdatePolicy.Internal.CertificateSigner"/>).
    /// </summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal unsafe delegate uint PupSignCallback(
        IntPtr userData, uint algorithm, byte* data, UIntPtr dataLength,
        byte* signature, UIntPtr* signatureLength, byte* message, UIntPtr* messageLength);

    /// <summary>Releases a signer's <c>user_data</c> once the library no longer needs it (<c>PupReleaseFn</c>).</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void PupReleaseCallback(IntPtr userData);

    /// <summary>
    /// Every import of the native library, exactly as declared in <c>ffi/include/photo_update_policy.h</c>
    /// (a Pester test compares the two and checks each symbol is exported). Strings cross as UTF-8
    /// <c>(byte*, size_t)</c>: <c>LPUTF8Str</c> does not exist on .NET Framework, so callers pin and
    /// encode by hand (see <see cref="Utf8"/>). <c>size_t</c> is <see cref="UIntPtr"/>.
    /// </summary>
    internal static unsafe class NativeMethods
    {
        /// <summary>The library name the resolver (or the Windows PowerShell preload) answers for.</summary>
        internal const string LibraryName = "photo_update_policy";

        /// <summary>The C ABI version this module was written against (<c>PUP_ABI_VERSION</c>).</summary>
        internal const uint ExpectedAbiVersion = 1;

        /// <summary><c>PUP_APPLY_REREAD</c>: read the policy again and plan anew before writing.</summary>
        internal const uint ApplyReread = 1;

        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_abi_version();

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_library_version(out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern CallContextHandle pup_call_context_new(PupEventCallback? onEvent, IntPtr userData);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_call_context_cancel(CallContextHandle ctx);

        /// <summary>Graceful stop: start no new work (fleet runs), finish what is in flight.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_call_context_stop(CallContextHandle ctx);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern void pup_call_context_free(IntPtr ctx);

        /// <summary>Per-call timeouts and retry limits for the calls made with <paramref name="ctx"/>.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_call_context_set_limits(
            CallContextHandle ctx, byte* limitsJson, UIntPtr limitsLen, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_client_new(
            byte* configJson, UIntPtr configLen,
            byte* secret, UIntPtr secretLen,
            out ClientHandle outClient, out ErrorHandle outError);

        /// <summary>
        /// A certificate sign-in whose assertions <paramref name="sign"/> signs where the key lives;
        /// <paramref name="release"/> is called once with <paramref name="userData"/>, also on failure.
        /// </summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_client_new_with_signer(
            byte* configJson, UIntPtr configLen,
            PupSignCallback sign, PupReleaseCallback? release, IntPtr userData, uint algorithms,
            out ClientHandle outClient, out ErrorHandle outError);

        /// <summary>A client for another tenant with <paramref name="client"/>'s application credentials (a fleet run with one app connection).</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_client_for_tenant(
            ClientHandle client, byte* tenant, UIntPtr tenantLen,
            out ClientHandle outClient, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern void pup_client_free(IntPtr client);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_get(
            ClientHandle client, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_plan(
            ClientHandle client, byte* changeJson, UIntPtr changeLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_apply(
            ClientHandle client, byte* changeJson, UIntPtr changeLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_reset(
            ClientHandle client, byte* optionsJson, UIntPtr optionsLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        /// <summary>Resolves the change, reads the policy once and plans against it: a plan handle.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_plan_begin(
            ClientHandle client, byte* changeJson, UIntPtr changeLen, CallContextHandle ctx,
            out PlanHandle outPlan, out ErrorHandle outError);

        /// <summary>Reads the policy once and plans a reset to the default against it: a plan handle.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_reset_begin(
            ClientHandle client, byte* optionsJson, UIntPtr optionsLen, CallContextHandle ctx,
            out PlanHandle outPlan, out ErrorHandle outError);

        /// <summary>Lends the plan's Plan JSON (valid until the plan is freed).</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_plan_json(PlanHandle plan, out IntPtr outPtr, out UIntPtr outLen);

        /// <summary>Writes a plan (once), without reading the policy again unless <c>PUP_APPLY_REREAD</c>.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_plan_apply(
            ClientHandle client, PlanHandle plan, uint flags, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern void pup_plan_free(IntPtr plan);

        /// <summary>Signs in now and returns the ConnectionInfo JSON (never the token).</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_client_connect(
            ClientHandle client, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_policy_export(
            ClientHandle client, byte* optionsJson, UIntPtr optionsLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_document_parse(
            byte* documentJson, UIntPtr documentLen,
            out ResultHandle outResult, out ErrorHandle outError);

        /// <summary><paramref name="clients"/>: raw client handles, each AddRef'd by the caller for the call.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_fleet_run(
            IntPtr* clients, UIntPtr clientCount, byte* requestJson, UIntPtr requestLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        /// <summary>
        /// Plans a desired state against each tenant (read once); <paramref name="outPlans"/> (one
        /// slot per client) gets a plan per tenant read, or null, on success only.
        /// </summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_fleet_plan_begin(
            IntPtr* clients, UIntPtr clientCount, byte* requestJson, UIntPtr requestLen, CallContextHandle ctx,
            IntPtr* outPlans, out ResultHandle outResult, out ErrorHandle outError);

        /// <summary>Writes each tenant's plan (<paramref name="plans"/>[i] with <paramref name="clients"/>[i]), at most once.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_fleet_plan_apply(
            IntPtr* clients, IntPtr* plans, UIntPtr count, uint flags, byte* requestJson, UIntPtr requestLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        /// <summary><paramref name="clients"/>: raw client handles, each AddRef'd by the caller for the call.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_access_get(
            IntPtr* clients, UIntPtr clientCount, byte* requestJson, UIntPtr requestLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_access_check(
            ClientHandle client, byte* requestJson, UIntPtr requestLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_access_impact(
            ClientHandle client, byte* changeJson, UIntPtr changeLen, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        /// <summary>Who gains and who loses the ability under a plan, without reading the policy again.</summary>
        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_access_plan_impact(
            ClientHandle client, PlanHandle plan, CallContextHandle ctx,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_roles_catalog(out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_roles_resolve(
            byte* requestJson, UIntPtr requestLen,
            out ResultHandle outResult, out ErrorHandle outError);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_result_json(ResultHandle result, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern void pup_result_free(IntPtr result);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_status(ErrorHandle error);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern ushort pup_error_http_status(ErrorHandle error);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern long pup_error_retry_after_ms(ErrorHandle error);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_message(ErrorHandle error, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_code(ErrorHandle error, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_request_id(ErrorHandle error, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_client_request_id(ErrorHandle error, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_date(ErrorHandle error, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_recommended_action(ErrorHandle error, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern uint pup_error_json(ErrorHandle error, out IntPtr outPtr, out UIntPtr outLen);

        [DllImport(LibraryName, CallingConvention = Cdecl, ExactSpelling = true)]
        internal static extern void pup_error_free(IntPtr error);
    }
}
