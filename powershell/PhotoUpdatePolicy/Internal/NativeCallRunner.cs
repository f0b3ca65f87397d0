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
    /// <summary>
    /// Runs one cmdlet's blocking native calls, each with its own call context, and relays their
    /// events to the cmdlet (<see cref="EventRelay"/>, written by <see cref="EventWriter"/>).
    ///
    /// Single-tenant calls run on the pipeline thread itself (<see cref="Inline"/>): the library
    /// raises their events on that thread, where they are written at once. Fleet runs and device code
    /// sign-ins (minutes of waiting, whose progress and sign-in instructions must show whatever
    /// thread raises them) run on a worker thread while the pipeline thread drains the relay's queue
    /// (PowerShell allows Write* only on the pipeline thread).
    /// <see cref="Stop"/> (from StopProcessing) cancels the native call context; the pipeline thread
    /// stops waiting at once, so Ctrl+C returns promptly even while the native call winds down. The
    /// thread that makes the call owns the call context and the handle its events reach the relay
    /// by, and releases them only after the native call returned, so nothing is freed under the
    /// library's feet.
    /// </summary>
    internal sealed class NativeCallRunner
    {
        /// <summary>How long a stopped cmdlet waits for the native call to acknowledge cancellation.</summary>
        private static readonly TimeSpan StopGrace = TimeSpan.FromMilliseconds(300);

        private readonly PSCmdlet cmdlet;
        private readonly EventWriter writer;
        private readonly Action cancelCurrent;
        private readonly CancellationTokenSource stopping = new CancellationTokenSource();
        private readonly object gate = new object();
        private CallContextHandle? current;

        internal NativeCallRunner(PSCmdlet cmdlet)
        {
            this.cmdlet = cmdlet;
            writer = new EventWriter(cmdlet);
            cancelCurrent = CancelCurrent;
        }

        /// <summary>
        /// A blocking native call: given its state and a call context, returns the status and the
        /// result and error handles. Static lambdas keep the per-call cost to the state itself.
        /// </summary>
        internal delegate uint NativeCall<TState>(TState state, CallContextHandle ctx, out ResultHandle result, out ErrorHandle error);

        /// <summary>A blocking native call that hands back a plan handle instead of a result.</summary>
        internal delegate uint PlanCall<TState>(TState state, CallContextHandle ctx, out PlanHandle plan, out ErrorHandle error);

        /// <summary>Whether the pipeline asked to stop.</summary>
        internal bool IsStopping => stopping.IsCancellationRequested;

        /// <summary>
        /// Runs calls on the calling (pipeline) thread instead of a worker: two thread hand-overs
        /// (and the pipeline thread spinning while it waits) less per call. Set for single-tenant
        /// calls without a device code sign-in; fleet runs and device code sign-ins keep the worker,
        /// which relays events from whatever thread raises them while the pipeline thread waits.
        /// </summary>
        internal bool Inline { get; set; }

        /// <summary>
        /// Call limits JSON (docs/c-abi.md) set on every call context this runner creates: the
        /// cmdlet's -TimeoutSec/-MaxRetries… when it borrows the session's client. Null: none.
        /// </summary>
        private string? CallLimitsJson { get; set; }

        /// <summary>Gives every later call of this runner <paramref name="limits"/> (none when empty).</summary>
        internal void UseCallLimits(CallLimits limits) =>
            CallLimitsJson = limits.IsEmpty ? null : JsonCodec.Instance.Serialize(limits.WriteTo(new Dictionary<string, object?>(StringComparer.Ordinal)));

        /// <summary>
        /// Ctrl+C stops gracefully instead of cancelling: the call context is asked to start no new
        /// work (<c>pup_call_context_stop</c>), the call runs to its end, and only then
        /// <see cref="PipelineStoppedException"/> is thrown. For fleet runs: tenants in flight
        /// finish (a change in progress is completed, not cut off) and none start.
        /// </summary>
        internal bool StopsGracefully { get; set; }

        /// <summary>
        /// Called on the pipeline thread with each fleet tenant's result JSON as it arrives (result
        /// events); also after a graceful stop, when writing to the pipeline is no longer allowed.
        /// </summary>
        internal Action<string>? ResultHandler
        {
            get => writer.OnResult;
            set => writer.OnResult = value;
        }

        /// <summary>Stops the call in progress (any thread; idempotent): cancels it, or stops it gracefully.</summary>
        internal void Stop()
        {
            stopping.Cancel();
            if (StopsGracefully)
            {
                StopCurrentGracefully();
            }
            else
            {
                CancelCurrent();
            }
        }

        /// <summary>
        /// Runs <paramref name="call"/> with <paramref name="state"/> (on this thread or a worker, see
        /// <see cref="Inline"/>) and returns its result JSON, or throws
        /// <see cref="PhotoPolicyException"/> (the native error) or
        /// <see cref="PipelineStoppedException"/> (the user pressed Ctrl+C).
        /// </summary>
        internal string Invoke<TState>(TState state, NativeCall<TState> call)
        {
            string? json = null;
            PhotoPolicyException? error = null;
            RunNative(ctx =>
            {
                uint status = call(state, ctx, out ResultHandle result, out ErrorHandle failure);
                using (result)
                using (failure)
                {
                    if (status == 0)
                    {
                        json = NativeResults.ReadJson(result);
                    }
                    else
                    {
                        error = NativeResults.ToException(status, failure);
                    }
                }
            });

            ThrowIfFailed(error);
            return json ?? throw new InvalidOperationException("The native library returned success without a result.");
        }

        /// <summary>
        /// Runs <paramref name="call"/> as <see cref="Invoke{TState}"/> does and returns the plan
        /// handle it made (the caller disposes it).
        /// </summary>
        internal PlanHandle InvokePlan<TState>(TState state, PlanCall<TState> call)
        {
            PlanHandle? plan = null;
            PhotoPolicyException? error = null;
            RunNative(ctx =>
            {
                uint status = call(state, ctx, out PlanHandle made, out ErrorHandle failure);
                using (failure)
                {
                    if (status == 0)
                    {
                        plan = made;
                    }
                    else
                    {
                        made.Dispose();
                        error = NativeResults.ToException(status, failure);
                    }
                }
            });

            ThrowIfFailed(error);
            return plan ?? throw new InvalidOperationException("The native library returned success without a plan.");
        }

        /// <summary>Like <see cref="Invoke{TState}"/>, then parses the JSON into the neutral tree.</summary>
        internal object? InvokeJson<TState>(TState state, NativeCall<TState> call) => JsonCodec.Instance.Parse(Invoke(state, call));

        /// <summary>Throws a call's error: Ctrl+C as PipelineStoppedException, anything else as it is.</summary>
        private void ThrowIfFailed(PhotoPolicyException? error)
        {
            if (error != null)
            {
                if (error.Status == PhotoPolicyStatus.Cancelled && IsStopping)
                {
                    throw new PipelineStoppedException();
                }

                throw error;
            }
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

        /// <summary>Asks the native call in flight to start no new work (any thread).</summary>
        private void StopCurrentGracefully()
        {
            lock (gate)
            {
                if (current != null && !current.IsClosed)
                {
                    try
                    {
                        NativeMethods.pup_call_context_stop(current);
                    }
                    catch (ObjectDisposedException)
                    {
                        // The call finished between the check and the stop: nothing to do.
                    }
                }
            }
        }

        /// <summary>
        /// After a graceful stop the pipeline takes no more writes: results still go to their handler
        /// (which shows them on the host), everything else is dropped.
        /// </summary>
        private void WriteUnlessStopped(uint level, string message)
        {
            if (!IsStopping)
            {
                writer.Write(level, message);
            }
            else if (level == (uint)PupEventLevel.Result)
            {
                writer.OnResult?.Invoke(message);
            }
        }

        private void RunNative(Action<CallContextHandle> work)
        {
            if (IsStopping)
            {
                throw new PipelineStoppedException();
            }

            // Verbose and debug events the preferences would drop anyway are not even queued: every
            // request emits one, and relaying it cost a decode, a queue entry and a wake-up of the
            // pipeline thread. Warnings, progress and information are always relayed.
            MessagePreferences preferences = MessagePreferences.Read(cmdlet);
            var relay = new EventRelay(preferences.Verbose, preferences.Debug);
            if (Inline && !preferences.Prompts)
            {
                RunInline(work, relay);
                return;
            }

            // A reused dedicated thread (see WorkerThreads): a new thread per call cost more than
            // the warm HTTP exchange itself.
            Task task = WorkerThreads.Run(() => Execute(work, relay));

            if (StopsGracefully)
            {
                // Ctrl+C does not end the wait: the call itself stops starting work and returns.
                relay.Drain(CancellationToken.None, WriteUnlessStopped);
                try
                {
                    task.GetAwaiter().GetResult();
                }
                catch (Exception ex) when (!(ex is PhotoPolicyException) && !(ex is PipelineStoppedException))
                {
                    throw new PhotoPolicyException(PhotoPolicyStatus.Internal, "Calling the PhotoUpdatePolicy native library failed: " + ex.Message);
                }

                if (IsStopping)
                {
                    throw new PipelineStoppedException();
                }

                return;
            }

            try
            {
                relay.Drain(stopping.Token, writer.Write);
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
        private void RunInline(Action<CallContextHandle> work, EventRelay relay)
        {
            relay.WriteOnThisThread(writer.Write, cancelCurrent);
            try
            {
                Execute(work, relay);
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

            relay.DrainQueued(writer.Write);
            if (IsStopping)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>
        /// Runs one native call with its call context (made, registered for <see cref="Stop"/>, given
        /// the limits, and freed after the call), on whichever thread calls it.
        /// </summary>
        private void Execute(Action<CallContextHandle> work, EventRelay relay)
        {
            CallContextHandle? ctx = null;
            GCHandle self = default;
            try
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
                    // Stopped before the call began: nothing is in flight to finish.
                    NativeMethods.pup_call_context_cancel(ctx);
                }

                if (CallLimitsJson != null)
                {
                    SetLimits(ctx, CallLimitsJson);
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
                    throw NativeResults.ToException(status, error);
                }
            }
        }
    }
}
