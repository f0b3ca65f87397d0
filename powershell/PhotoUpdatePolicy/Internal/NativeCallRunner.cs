using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using PhotoUpdatePolicy.Json;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>What a native call produced: a JSON document on success, an exception otherwise.</summary>
    internal readonly struct NativeOutcome
    {
        internal NativeOutcome(string? json, PhotoPolicyException? error)
        {
            Json = json;
            Error = error;
        }

        internal string? Json { get; }

        internal PhotoPolicyException? Error { get; }
    }

    /// <summary>
    /// Runs native calls and relays their events to the cmdlet.
    ///
    /// Single-tenant calls run on the pipeline thread itself (<see cref="Inline"/>): the library
    /// raises their events on that thread, where they are written at once. Fleet runs and device code
    /// sign-ins (minutes of waiting, whose progress and sign-in instructions must show whatever
    /// thread raises them) run on a worker thread while the pipeline thread drains a queue of events
    /// and writes them with WriteVerbose / WriteDebug / WriteWarning / WriteProgress /
    /// WriteInformation (PowerShell allows Write* only on the pipeline thread).
    /// <see cref="Stop"/> (from StopProcessing) cancels the native call context; the pipeline thread
    /// stops waiting at once, so Ctrl+C returns promptly even while the native call winds down. The
    /// worker owns the call context, the handle its events reach the relay by and the secret buffer, and releases them
    /// only after the native call returned, so nothing is freed under the library's feet.
    /// </summary>
    internal sealed class NativeCallRunner
    {
        /// <summary>How long a stopped cmdlet waits for the native call to acknowledge cancellation.</summary>
        private static readonly TimeSpan StopGrace = TimeSpan.FromMilliseconds(300);

        private readonly PSCmdlet cmdlet;
        private readonly CancellationTokenSource stopping = new CancellationTokenSource();
        private readonly object gate = new object();
        private CallContextHandle? current;

        internal NativeCallRunner(PSCmdlet cmdlet)
        {
            this.cmdlet = cmdlet;
        }

        /// <summary>The native call: given a context, returns status, result and error handles.</summary>
        internal delegate uint NativeCall(CallContextHandle ctx, out ResultHandle result, out ErrorHandle error);

        /// <summary>Whether the pipeline asked to stop.</summary>
        internal bool IsStopping => stopping.IsCancellationRequested;

        /// <summary>
        /// Call limits JSON (docs/c-abi.md) set on every call context this runner creates: the
        /// cmdlet's -TimeoutSec/-MaxRetries… when it borrows the session's client. Null: none.
        /// </summary>
        internal string? CallLimitsJson { get; set; }

        /// <summary>
        /// Runs calls on the calling (pipeline) thread instead of a worker: two thread hand-overs
        /// (and the pipeline thread spinning while it waits) less per call. Set by cmdlets for
        /// single-tenant calls without a device code sign-in; fleet runs and device code sign-ins
        /// keep the worker, which relays events from whatever thread raises them while the pipeline
        /// thread waits.
        /// </summary>
        internal bool Inline { get; set; }

        /// <summary>Cancels the call in progress (any thread; idempotent).</summary>
        internal void Stop()
        {
            stopping.Cancel();
            CancelCurrent();
        }

        /// <summary>Cancels the native call in flight, if any (any thread).</summary>
        private void CancelCurrent()
        {
            lock (gate)
            {
                if (current != null && !current.IsClosed)
                {
                    try
                    {
                        NativeMethods.pup_call_context_cancel(current);
                    }
                    catch (ObjectDisposedException)
                    {
                        // The call finished between the check and the cancel: nothing to do.
                    }
                }
            }
        }

        /// <summary>
        /// Runs <paramref name="call"/> (on this thread or a worker, see <see cref="Inline"/>) and returns its result JSON, or throws
        /// <see cref="PhotoPolicyException"/> (the native error) or
        /// <see cref="PipelineStoppedException"/> (the user pressed Ctrl+C).
        /// </summary>
        internal string Invoke(NativeCall call)
        {
            NativeOutcome outcome = Run(call);
            if (outcome.Error != null)
            {
                if (outcome.Error.Status == PhotoPolicyStatus.Cancelled && IsStopping)
                {
                    throw new PipelineStoppedException();
                }

                throw outcome.Error;
            }

            return outcome.Json ?? throw new InvalidOperationException("The native library returned success without a result.");
        }

        /// <summary>Like <see cref="Invoke"/>, then parses the JSON into the neutral tree.</summary>
        internal object? InvokeJson(NativeCall call) => JsonCodec.Instance.Parse(Invoke(call));

        /// <summary>
        /// Creates a client (on the calling thread: no network happens here). The secret buffer is
        /// zeroed once the library has copied it (the library keeps its own zeroizing copy).
        /// </summary>
        internal ClientHandle CreateClient(string configJson, byte[]? secret)
        {
            ClientHandle? client = null;
            PhotoPolicyException? failure = null;
            byte[] config = Utf8.Encode(configJson);
            if (IsStopping)
            {
                Utf8.Zero(secret);
                throw new PipelineStoppedException();
            }

            // On the pipeline thread: pup_client_new only validates (no network, nothing that
            // blocks), so a worker thread and its two thread hops would be pure overhead.
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
                                failure = PhotoPolicyException.FromHandle(status, e);
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

        private NativeOutcome Run(NativeCall call)
        {
            NativeOutcome outcome = default;
            RunNative(
                ctx =>
                {
                    uint status = call(ctx!, out ResultHandle result, out ErrorHandle error);
                    using (result)
                    using (error)
                    {
                        outcome = status == 0
                            ? new NativeOutcome(ReadResult(result), null)
                            : new NativeOutcome(null, PhotoPolicyException.FromHandle(status, error));
                    }
                },
                useContext: true);
            return outcome;
        }

        /// <summary>Sets the call limits on a context; a refused value throws the native error.</summary>
        private static void SetLimits(CallContextHandle ctx, string json)
        {
            byte[] bytes = Utf8.Encode(json);
            uint status;
            ErrorHandle error;
            unsafe
            {
                fixed (byte* p = bytes)
                {
                    status = NativeMethods.pup_call_context_set_limits(ctx, p, (UIntPtr)bytes.Length, out error);
                }
            }

            using (error)
            {
                if (status != 0)
                {
                    throw PhotoPolicyException.FromHandle(status, error);
                }
            }
        }

        private static string ReadResult(ResultHandle result)
        {
            uint rc = NativeMethods.pup_result_json(result, out IntPtr ptr, out UIntPtr len);
            if (rc != 0)
            {
                throw new InvalidOperationException($"pup_result_json failed with status {(PhotoPolicyStatus)rc}.");
            }

            return Utf8.Decode(ptr, len) ?? string.Empty;
        }

        private void RunNative(Action<CallContextHandle?> work, bool useContext)
        {
            if (IsStopping)
            {
                throw new PipelineStoppedException();
            }

            // Verbose and debug events the preferences would drop anyway are not even queued: every
            // request emits one, and relaying it cost a decode, a queue entry and a wake-up of the
            // pipeline thread. Warnings, progress and information are always relayed.
            (bool verbose, bool debug, bool prompts) = ReadMessagePreferences();
            var relay = new EventRelay(verbose, debug);
            if (Inline && !prompts)
            {
                RunInline(work, relay, useContext);
                return;
            }

            // A reused dedicated thread (see WorkerThreads): a new thread per call cost more than
            // the warm HTTP exchange itself.
            Task task = WorkerThreads.Run(() => Execute(work, relay, useContext));

            try
            {
                relay.Drain(stopping.Token, Write);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: the context is cancelled; give the call a moment to return, then leave
                // without waiting for it (the worker releases its own handles).
                try
                {
                    task.Wait(StopGrace);
                }
                catch (AggregateException)
                {
                }

                throw new PipelineStoppedException();
            }

            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (Exception ex) when (!(ex is PhotoPolicyException) && !(ex is PipelineStoppedException))
            {
                throw new PhotoPolicyException(PhotoPolicyStatus.Internal, "Calling the PhotoUpdatePolicy native library failed: " + ex.Message);
            }
        }

        /// <summary>
        /// The call on the pipeline thread itself (see <see cref="Inline"/>): no thread hand-over
        /// either way, and the events the library raises on this thread are written as they come.
        /// Ctrl+C still works: StopProcessing runs on another thread and cancels the call context.
        /// </summary>
        private void RunInline(Action<CallContextHandle?> work, EventRelay relay, bool useContext)
        {
            relay.WriteOnThisThread(Write, CancelCurrent);
            try
            {
                Execute(work, relay, useContext);
            }
            catch (Exception ex) when (relay.WriteFailure == null && !(ex is PhotoPolicyException) && !(ex is PipelineStoppedException))
            {
                throw new PhotoPolicyException(PhotoPolicyStatus.Internal, "Calling the PhotoUpdatePolicy native library failed: " + ex.Message);
            }

            // A write that threw (e.g. -WarningAction Stop) cancelled the call: its own exception,
            // not the cancellation, is what the user must see.
            if (relay.WriteFailure != null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(relay.WriteFailure).Throw();
            }

            relay.DrainQueued(Write);
            if (IsStopping)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>
        /// Runs one native call with its call context (made, registered for <see cref="Stop"/>, given
        /// the limits, and freed after the call), on whichever thread calls it.
        /// </summary>
        private void Execute(Action<CallContextHandle?> work, EventRelay relay, bool useContext)
        {
            CallContextHandle? ctx = null;
            GCHandle self = default;
            try
            {
                if (useContext)
                {
                    // One static callback (one marshalling thunk for the process) finds this call's
                    // relay through user_data; the handle is freed only after the context, so the
                    // native side never sees a dangling pointer.
                    self = GCHandle.Alloc(relay);
                    ctx = NativeMethods.pup_call_context_new(EventRelay.Callback, GCHandle.ToIntPtr(self));
                    if (ctx.IsInvalid)
                    {
                        throw new InvalidOperationException("pup_call_context_new returned NULL.");
                    }

                    lock (gate)
                    {
                        current = ctx;
                    }

                    if (IsStopping)
                    {
                        NativeMethods.pup_call_context_cancel(ctx);
                    }

                    if (CallLimitsJson != null)
                    {
                        SetLimits(ctx, CallLimitsJson);
                    }
                }

                work(ctx);
            }
            finally
            {
                lock (gate)
                {
                    current = null;
                }

                ctx?.Dispose();
                if (self.IsAllocated)
                {
                    self.Free();
                }

                relay.Complete();
            }
        }

        /// <summary>
        /// How this command's messages will be written, each preference read once:
        /// <list type="bullet">
        /// <item><c>Verbose</c>: whether WriteVerbose would show or record anything (-Verbose, or
        /// -Debug which implies it, when given; else $VerbosePreference).</item>
        /// <item><c>Debug</c>: the same for WriteDebug (-Debug, else $DebugPreference).</item>
        /// <item><c>Prompts</c>: whether a message could prompt the user (an <c>Inquire</c>
        /// preference or -XxxAction, or -Debug on Windows PowerShell, where it means Inquire). Such
        /// calls take the worker path: a prompt written from the native callback would hold the
        /// library's I/O driver, and with it the calls of other runspaces, until the user answers.</item>
        /// </list>
        /// Unsure means wanted (and not prompting).
        /// </summary>
        private (bool Verbose, bool Debug, bool Prompts) ReadMessagePreferences()
        {
            Dictionary<string, object> bound = cmdlet.MyInvocation.BoundParameters;
            bool? verboseSwitch = Switch(bound, "Verbose");
            bool? debugSwitch = Switch(bound, "Debug");
            ActionPreference? verbosePreference = verboseSwitch == null ? Preference(cmdlet.GetVariableValue("VerbosePreference")) : null;
            ActionPreference? debugPreference = debugSwitch == null ? Preference(cmdlet.GetVariableValue("DebugPreference")) : null;

            bool verbose = verboseSwitch ?? (debugSwitch == true || Wanted(verbosePreference));
            bool debug = debugSwitch ?? Wanted(debugPreference);

            bool prompts = verbosePreference == ActionPreference.Inquire
                || debugPreference == ActionPreference.Inquire
                || ActionOrPreference(bound, "WarningAction", "WarningPreference") == ActionPreference.Inquire
                || ActionOrPreference(bound, "InformationAction", "InformationPreference") == ActionPreference.Inquire;
#if NETFRAMEWORK
            // Windows PowerShell 5.1, the only host of the net472 build: -Debug means Inquire there.
            prompts |= debugSwitch == true;
#endif
            return (verbose, debug, prompts);
        }

        /// <summary>A common switch (-Verbose, -Debug) as given to the command, or null when not given.</summary>
        private static bool? Switch(Dictionary<string, object> bound, string name) =>
            bound.TryGetValue(name, out object? value) ? !(value is SwitchParameter s) || s.IsPresent : (bool?)null;

        /// <summary>The -XxxAction given to the command, else the preference variable.</summary>
        private ActionPreference? ActionOrPreference(Dictionary<string, object> bound, string actionParameter, string preferenceVariable) =>
            Preference(bound.TryGetValue(actionParameter, out object? given) ? given : cmdlet.GetVariableValue(preferenceVariable));

        /// <summary>A preference value (enum, or its name as text), or null when it is neither.</summary>
        private static ActionPreference? Preference(object? preference)
        {
            object? value = preference is PSObject ps ? ps.BaseObject : preference;
            if (value is ActionPreference p)
            {
                return p;
            }

            return value is string text && Enum.TryParse(text.Trim(), true, out ActionPreference parsed) ? parsed : (ActionPreference?)null;
        }

        /// <summary>False only for a preference that certainly drops the record (SilentlyContinue, Ignore).</summary>
        private static bool Wanted(ActionPreference? preference) =>
            preference != ActionPreference.SilentlyContinue && preference != ActionPreference.Ignore;

        private void Write(uint level, string message)
        {
            switch (level)
            {
                case 0:
                    cmdlet.WriteVerbose(message);
                    break;
                case 1:
                    cmdlet.WriteDebug(message);
                    break;
                case 2:
                    cmdlet.WriteWarning(message);
                    break;
                case 3:
                    WriteProgressEvent(message);
                    break;
                case 4:
                    // Something the user must act on now (e.g. a device code sign-in): shown like
                    // Write-Host, whatever $InformationPreference says, and still capturable.
                    cmdlet.WriteInformation(new HostInformationMessage { Message = message }, new[] { "PSHOST", "PhotoUpdatePolicy" });
                    break;
                default:
                    cmdlet.WriteVerbose(message);
                    break;
            }
        }

        private void WriteProgressEvent(string json)
        {
            Dictionary<string, object?>? obj;
            try
            {
                obj = JsonCodec.Instance.Parse(json) as Dictionary<string, object?>;
            }
            catch (Exception)
            {
                obj = null;
            }

            if (obj == null)
            {
                cmdlet.WriteVerbose(json);
                return;
            }

            string activity = JsonTree.String(obj, "activity") ?? cmdlet.MyInvocation.MyCommand.Name;
            string status = JsonTree.String(obj, "status") ?? "Working";
            var record = new ProgressRecord(1, string.IsNullOrEmpty(activity) ? "PhotoUpdatePolicy" : activity, string.IsNullOrEmpty(status) ? "Working" : status);
            long? percent = JsonTree.Long(obj, "percent");
            if (percent.HasValue)
            {
                record.PercentComplete = (int)Math.Max(0, Math.Min(100, percent.Value));
            }

            // "completed" and "total" count steps (e.g. tenants): show them in the status line.
            long? completed = JsonTree.Long(obj, "completed");
            long? total = JsonTree.Long(obj, "total");
            if (completed.HasValue && total.HasValue)
            {
                record.StatusDescription += $" ({completed.Value}/{total.Value})";
            }

            cmdlet.WriteProgress(record);
        }
    }
}
