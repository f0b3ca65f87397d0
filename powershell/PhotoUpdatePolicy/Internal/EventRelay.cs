using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using PhotoUpdatePolicy.Native;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Carries one native call's events from the library's thread to the pipeline thread.
    ///
    /// One static callback serves every call (one marshalling thunk for the process, instead of a
    /// new delegate and thunk per call); it finds the call's relay through <c>user_data</c>, a
    /// <see cref="GCHandle"/> the worker frees only after the call context. The pipeline thread
    /// waits on a light signal rather than a BlockingCollection (whose consuming enumerable built a
    /// linked cancellation source and semaphores for every call). Verbose and debug events the
    /// cmdlet's preferences would drop are discarded here, before they are decoded or queued;
    /// warnings, progress and information are always relayed.
    ///
    /// A call made on the pipeline thread itself (<see cref="NativeCallRunner"/>'s inline path) binds
    /// the relay to that thread: events the library raises on it (everything a single-tenant call
    /// raises: the call runs in <c>block_on</c> on the calling thread) are written at once, straight
    /// from the callback, so they stay live; events raised on any other thread are queued and written
    /// when the call returns. A write that throws (e.g. <c>-WarningAction Stop</c>, Ctrl+C) never
    /// crosses into native code: it is kept, the call is cancelled, and the runner rethrows it.
    /// </summary>
    internal sealed class EventRelay
    {
        /// <summary>The callback handed to <c>pup_call_context_new</c>; static, so never collected.</summary>
        internal static readonly PupEventCallback Callback = OnEvent;

        private readonly bool verbose;
        private readonly bool debug;
        private readonly ConcurrentQueue<KeyValuePair<uint, string>> queue = new ConcurrentQueue<KeyValuePair<uint, string>>();
        private readonly ManualResetEventSlim signal = new ManualResetEventSlim(false);
        private volatile bool completed;
        private Thread? owner;
        private Action<uint, string>? directWrite;
        private Action? cancelCall;

        internal EventRelay(bool verbose, bool debug)
        {
            this.verbose = verbose;
            this.debug = debug;
        }

        /// <summary>A write on the owning thread threw; the runner rethrows it once the call returned.</summary>
        internal Exception? WriteFailure { get; private set; }

        /// <summary>
        /// Binds the relay to the calling (pipeline) thread: events raised on it are written with
        /// <paramref name="write"/> at once; a write that throws cancels the call through
        /// <paramref name="cancel"/> and is kept in <see cref="WriteFailure"/>.
        /// </summary>
        internal void WriteOnThisThread(Action<uint, string> write, Action cancel)
        {
            owner = Thread.CurrentThread;
            directWrite = write;
            cancelCall = cancel;
        }

        /// <summary>Writes what is queued now (an inline call's events from other threads, once it returned).</summary>
        internal void DrainQueued(Action<uint, string> write)
        {
            while (queue.TryDequeue(out KeyValuePair<uint, string> ev))
            {
                write(ev.Key, ev.Value);
            }
        }

        /// <summary>Marks the call finished (worker thread); the pipeline thread drains what is left and returns.</summary>
        internal void Complete()
        {
            completed = true;
            signal.Set();
        }

        /// <summary>
        /// On the pipeline thread: writes events as they arrive until the call completes. Throws
        /// <see cref="OperationCanceledException"/> as soon as <paramref name="token"/> is cancelled.
        /// </summary>
        internal void Drain(CancellationToken token, Action<uint, string> write)
        {
            while (true)
            {
                signal.Wait(token);

                // Reset before draining: an event queued after this point sets the signal again,
                // so the next wait cannot miss it.
                signal.Reset();
                bool done = completed;
                DrainQueued(write);

                if (done)
                {
                    return;
                }
            }
        }

        private static void OnEvent(IntPtr userData, uint level, IntPtr message, UIntPtr length)
        {
            try
            {
                if (userData != IntPtr.Zero && GCHandle.FromIntPtr(userData).Target is EventRelay relay)
                {
                    relay.Add(level, message, length);
                }
            }
            catch (Exception)
            {
                // Never let an exception cross back into native code.
            }
        }

        private void Add(uint level, IntPtr message, UIntPtr length)
        {
            if (completed)
            {
                return;
            }

            // Verbose and unknown levels are written with WriteVerbose; debug with WriteDebug.
            bool isDebug = level == (uint)PupEventLevel.Debug;
            bool isVerbose = level == (uint)PupEventLevel.Verbose || level > (uint)PupEventLevel.Result;
            if ((isVerbose && !verbose) || (isDebug && !debug))
            {
                return;
            }

            string text = Utf8.Decode(message, length) ?? string.Empty;
            if (directWrite != null && ReferenceEquals(Thread.CurrentThread, owner))
            {
                if (WriteFailure != null)
                {
                    return;
                }

                try
                {
                    directWrite(level, text);
                }
                catch (Exception ex)
                {
                    WriteFailure = ex;
                    cancelCall?.Invoke();
                }

                return;
            }

            queue.Enqueue(new KeyValuePair<uint, string>(level, text));
            signal.Set();
        }
    }
}
