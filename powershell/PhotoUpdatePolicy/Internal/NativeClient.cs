using System;
using System.Collections.Generic;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// The typed client the cmdlets talk to: one tenant's native client (owned, or borrowed from the
    /// session or the client cache) and the cmdlet's <see cref="NativeCallRunner"/>. Every P/Invoke,
    /// pin and JSON read of a policy operation happens here; callers get model objects back, or a
    /// <see cref="PhotoPolicyException"/>. Dispose it after the command's calls (a borrowed client
    /// is never freed by that).
    /// </summary>
    internal sealed partial class NativeClient : IDisposable
    {
        private static readonly byte[] NoOptions = Array.Empty<byte>();

        // The calls as delegates made once (a method group would make a new one per call).
        private static readonly NativeCallRunner.NativeCall<ClientHandle> GetCall =
            (ClientHandle c, CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) => NativeMethods.pup_policy_get(c, ctx, out r, out e);

        private static readonly NativeCallRunner.NativeCall<ClientHandle> ConnectCall =
            (ClientHandle c, CallContextHandle ctx, out ResultHandle r, out ErrorHandle e) => NativeMethods.pup_client_connect(c, ctx, out r, out e);

        private static readonly NativeCallRunner.PlanCall<ClientBytes> BeginCall = BeginNative;
        private static readonly NativeCallRunner.PlanCall<ClientBytes> BeginResetCall = BeginResetNative;
        private static readonly NativeCallRunner.NativeCall<PlanApply> ApplyCall = ApplyNative;
        private static readonly NativeCallRunner.NativeCall<ClientBytes> ExportCall = ExportNative;

        private readonly NativeCallRunner runner;

        internal NativeClient(ClientHandle handle, NativeCallRunner runner)
        {
            Handle = handle;
            this.runner = runner;
        }

        /// <summary>The native client (fleet runs pass several to one call; the session takes over a new one).</summary>
        internal ClientHandle Handle { get; }

        /// <summary>Releases this command's hold on the native client.</summary>
        public void Dispose() => Handle.Dispose();

        /// <summary>
        /// A client for <paramref name="signIn"/> (which names a way to sign in) with
        /// <paramref name="limits"/> as the client's own limits. With <paramref name="reuse"/>, the
        /// client kept for the same parameters by a recent command (and its cached token), else a new
        /// one that is kept (<see cref="ClientCache"/>). Throws <see cref="SignInParameterException"/>
        /// for parameters that do not go together, <see cref="PhotoPolicyException"/> for values the
        /// library refuses. No network.
        /// </summary>
        internal static NativeClient Open(NativeCallRunner runner, SignInParameters signIn, CallLimits limits, bool reuse)
        {
            // Asked before Build, which fills in what -EnvironmentVariable's variables say.
            bool interactive = signIn.DeviceCode || signIn.Mode() == "browser";
            (Dictionary<string, object?> config, byte[]? secret, CertificateSigner? signer) = signIn.Build();
            try
            {
                limits.WriteTo(config);
                string configJson = JsonCodec.Instance.Serialize(config);

                // A device code sign-in waits minutes for the user: it keeps the worker path, which
                // shows its instructions while the call waits, whatever thread raises them.
                runner.Inline = !interactive;
                Func<ClientHandle> create = () =>
                {
                    if (signer == null)
                    {
                        return CreateHandle(runner, configJson, secret);
                    }

                    if (runner.IsStopping)
                    {
                        throw new System.Management.Automation.PipelineStoppedException();
                    }

                    // From here on the library owns the signer (and releases it, also on failure).
                    CertificateSigner handedOver = signer;
                    signer = null;
                    return CertificateSigner.NewClient(configJson, handedOver);
                };
                ClientHandle handle = reuse && !interactive
                    ? ClientCache.GetOrCreate(configJson, secret, create)
                    : create();
                return new NativeClient(handle, runner);
            }
            finally
            {
                Utf8.Zero(secret);

                // Not handed over: a kept client for the same certificate was reused, or the
                // command stopped or failed first.
                signer?.Dispose();
            }
        }

        /// <summary>
        /// The session's client (a borrowed handle), or null when not connected. This command's
        /// <paramref name="limits"/> go on its call contexts: the client is shared.
        /// </summary>
        internal static NativeClient? BorrowSession(NativeCallRunner runner, CallLimits limits, out SessionConnection? session)
        {
            ClientHandle? handle = SessionConnection.Borrow(out session);
            if (handle == null || session == null)
            {
                handle?.Dispose();
                session = null;
                return null;
            }

            runner.Inline = session.Info.AuthMode != "DeviceCode" && session.Info.AuthMode != "Browser";
            runner.UseCallLimits(limits);
            return new NativeClient(handle, runner);
        }

        /// <summary>Reads the tenant's policy.</summary>
        internal Policy GetPolicy() =>
            Policy.FromJson(runner.InvokeJson(Handle, GetCall));

        /// <summary>
        /// Signs in now (or reuses the cached token) and describes the connection; never the token.
        /// The endpoints are the overrides in effect, shown on the connection.
        /// </summary>
        internal Connection Connect(string? graphEndpoint, string? authorityEndpoint)
        {
            object? json = runner.InvokeJson(Handle, ConnectCall);
            return new Connection(JsonTree.AsObject(json, "connection info"), graphEndpoint, authorityEndpoint);
        }

        /// <summary>
        /// Resolves <paramref name="change"/> (role names and IDs included: a bad value fails here,
        /// before anything is sent), reads the policy once and works out the change against it;
        /// nothing is written. The plan holds the native plan that <see cref="ApplyChange"/> writes.
        /// </summary>
        internal PolicyPlan PlanChange(PolicyChangeRequest change) =>
            PolicyPlan.FromHandle(runner.InvokePlan(new ClientBytes(Handle, Utf8.Encode(change.ToJson())), BeginCall));

        /// <summary>
        /// Reads the policy once and works out what a reset to the default changes; nothing is
        /// written. The plan holds the native plan that <see cref="Reset"/> writes. With
        /// <paramref name="backupPath"/> (a file, or a folder with a trailing separator) the policy
        /// is saved there before the write; if it cannot be, nothing is sent.
        /// </summary>
        internal PolicyPlan PlanReset(string? backupPath)
        {
            byte[] options = backupPath == null
                ? NoOptions
                : Utf8.Encode(JsonCodec.Instance.Serialize(new Dictionary<string, object?>(StringComparer.Ordinal) { ["backupPath"] = backupPath }));
            return PolicyPlan.FromHandle(runner.InvokePlan(new ClientBytes(Handle, options), BeginResetCall));
        }

        /// <summary>
        /// Writes a change <paramref name="plan"/> (once) and returns the policy after it, with what
        /// it was and what changed: the PATCH alone, since the plan was made from the policy just
        /// read. <paramref name="readAgain"/>: the user answered a confirmation prompt, so the policy
        /// is read again and the change worked out anew before writing.
        /// </summary>
        internal PolicySetResult ApplyChange(PolicyPlan plan, bool readAgain)
        {
            Dictionary<string, object?> applied = JsonTree.AsObject(Apply(plan, readAgain), "an apply result");
            Policy previous = Policy.FromJson(applied["previous"]);
            Policy current = Policy.FromJson(applied["current"]);
            Dictionary<string, object?>? appliedPlan = JsonTree.Object(applied, "plan");
            PolicyChange[] changes = appliedPlan != null
                ? PolicyChange.FromJson(JsonTree.List(appliedPlan, "changes"), previous, current)
                : plan.Changes;
            string? description = appliedPlan != null ? JsonTree.String(appliedPlan, "description") : plan.Description;
            return new PolicySetResult(current, previous, changes, description, JsonTree.Bool(applied, "applied"), JsonTree.String(applied, "outcome"));
        }

        /// <summary>
        /// Writes a reset <paramref name="plan"/> (from <see cref="PlanReset"/>, once) and proves it
        /// by reading the policy back: the PATCH (DELETE as the fallback) and that read, since the
        /// plan was made from the policy just read. <paramref name="readAgain"/>: the user answered a
        /// confirmation prompt, so the policy is read again before writing.
        /// </summary>
        internal PolicyResetResult Reset(PolicyPlan plan, bool readAgain)
        {
            Dictionary<string, object?> reset = JsonTree.AsObject(Apply(plan, readAgain), "a reset result");
            return new PolicyResetResult(
                Policy.FromJson(reset["current"]),
                Policy.FromJson(reset["previous"]),
                plan.Changes,
                ResetMethod(JsonTree.String(reset, "method")),
                JsonTree.Bool(reset, "verified"));
        }

        /// <summary>Writes the native plan <paramref name="plan"/> holds; the result JSON of its kind.</summary>
        private object? Apply(PolicyPlan plan, bool readAgain)
        {
            return runner.InvokeJson(new PlanApply(Handle, plan.Handle, readAgain ? NativeMethods.ApplyReread : 0), ApplyCall);
        }

        /// <summary>
        /// Reads the policy as a policy document. With <paramref name="path"/> (a file system path)
        /// the document is also written there atomically; an existing file needs
        /// <paramref name="overwrite"/>.
        /// </summary>
        internal PolicyDocument Export(string? path, bool overwrite)
        {
            var options = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (path != null)
            {
                options["path"] = path;
                options["overwrite"] = overwrite;
            }

            byte[] bytes = Utf8.Encode(JsonCodec.Instance.Serialize(options));
            Dictionary<string, object?> result = JsonTree.AsObject(
                runner.InvokeJson(new ClientBytes(Handle, bytes), ExportCall),
                "an export result");
            return PolicyDocument.FromTree(result["document"]);
        }

        /// <summary>
        /// Creates a native client (on the calling thread: no network happens here). The secret
        /// buffer is zeroed once the library has copied it (the library keeps its own zeroizing copy).
        /// </summary>
        /// <summary>
        /// A new native client for <paramref name="tenant"/> with the application credentials of
        /// <paramref name="client"/> (no network happens here); the caller owns it. Throws a
        /// <see cref="PhotoPolicyException"/> when the client's sign-in belongs to one tenant.
        /// </summary>
        internal static ClientHandle CreateForTenant(ClientHandle client, string tenant)
        {
            byte[] text = Utf8.Encode(tenant);
            unsafe
            {
                fixed (byte* t = text)
                {
                    uint status = NativeMethods.pup_client_for_tenant(client, t, (UIntPtr)text.Length, out ClientHandle h, out ErrorHandle e);
                    using (e)
                    {
                        if (status == 0)
                        {
                            return h;
                        }

                        h.Dispose();
                        throw NativeResults.ToException(status, e);
                    }
                }
            }
        }

        private static ClientHandle CreateHandle(NativeCallRunner runner, string configJson, byte[]? secret)
        {
            byte[] config = Utf8.Encode(configJson);
            if (runner.IsStopping)
            {
                Utf8.Zero(secret);
                throw new System.Management.Automation.PipelineStoppedException();
            }

            ClientHandle? client = null;
            PhotoPolicyException? failure = null;
            try
            {
                unsafe
                {
                    fixed (byte* c = config)
                    fixed (byte* s = secret)
                    {
                        uint status = NativeMethods.pup_client_new(
                            c, (UIntPtr)config.Length,
                            secret is { Length: > 0 } ? s : null, (UIntPtr)(secret?.Length ?? 0),
                            out ClientHandle h, out ErrorHandle e);
                        using (e)
                        {
                            if (status == 0)
                            {
                                client = h;
                            }
                            else
                            {
                                h.Dispose();
                                failure = NativeResults.ToException(status, e);
                            }
                        }
                    }
                }
            }
            finally
            {
                Utf8.Zero(secret);
            }

            if (failure != null)
            {
                throw failure;
            }

            return client ?? throw new InvalidOperationException("The native library returned success without a client.");
        }


        private static unsafe uint BeginNative(ClientBytes s, CallContextHandle ctx, out PlanHandle plan, out ErrorHandle error)
        {
            fixed (byte* p = s.Bytes)
            {
                return NativeMethods.pup_policy_plan_begin(s.Client, p, (UIntPtr)s.Bytes.Length, ctx, out plan, out error);
            }
        }

        private static uint ApplyNative(PlanApply s, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error) =>
            NativeMethods.pup_policy_plan_apply(s.Client, s.Plan, s.Flags, ctx, out result, out error);

        private static unsafe uint BeginResetNative(ClientBytes s, CallContextHandle ctx, out PlanHandle plan, out ErrorHandle error)
        {
            fixed (byte* p = s.Bytes)
            {
                return NativeMethods.pup_policy_reset_begin(s.Client, p, (UIntPtr)s.Bytes.Length, ctx, out plan, out error);
            }
        }

        private static unsafe uint ExportNative(ClientBytes s, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error)
        {
            fixed (byte* p = s.Bytes)
            {
                return NativeMethods.pup_policy_export(s.Client, p, (UIntPtr)s.Bytes.Length, ctx, out result, out error);
            }
        }

        private static string ResetMethod(string? wire) => wire switch
        {
            "patch" => "Patch",
            "delete" => "Delete",
            "alreadyDefault" => "AlreadyDefault",
            null => "Unknown",
            _ => wire,
        };
    }

    /// <summary>A client, one of its plans and flags: the state of the calls on a plan (apply, impact).</summary>
    internal readonly struct PlanApply
    {
        internal PlanApply(ClientHandle client, PlanHandle plan, uint flags)
        {
            Client = client;
            Plan = plan;
            Flags = flags;
        }

        internal ClientHandle Client { get; }

        internal PlanHandle Plan { get; }

        internal uint Flags { get; }
    }

    /// <summary>A client and a UTF-8 JSON argument: the state of most native calls.</summary>
    internal readonly struct ClientBytes
    {
        internal ClientBytes(ClientHandle client, byte[] bytes)
        {
            Client = client;
            Bytes = bytes;
        }

        internal ClientHandle Client { get; }

        internal byte[] Bytes { get; }
    }
}
