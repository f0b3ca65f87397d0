using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace PhotoUpdatePolicy.Internal
{
    /// <summary>
    /// Dedicated threads for blocking native calls, kept for reuse.
    ///
    /// A native call blocks its thread for as long as the service takes (retries with back-off can
    /// take minutes), so it must not run on the .NET thread pool (many parallel runspaces would
    /// starve it). Starting a new thread per call, though, costs about a quarter of a millisecond,
    /// more than the whole warm HTTP exchange; so a finished worker waits for the next call for
    /// <see cref="IdleLifetime"/> and only then exits. Workers are background threads: they never
    /// keep the process alive.
    /// </summary>
    internal static class WorkerThreads
    {
        /// <summary>How long an idle worker waits for another call before its thread exits.</summary>
        internal static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);

        private static readonly ConcurrentStack<Worker> Idle = new ConcurrentStack<Worker>();

        /// <summary>Runs <paramref name="work"/> on an idle worker, or a new one if none is idle.</summary>
        internal static Task Run(Action work)
        {
            var item = new WorkItem(work);
            while (Idle.TryPop(out Worker? idle))
            {
                if (idle.TryAssign(item))
                {
                    return item.Completion.Task;
                }
            }

            var worker = new Worker(item);
            var thread = new Thread(worker.Loop) { IsBackground = true, Name = "PhotoUpdatePolicy call" };
            thread.Start();
            return item.Completion.Task;
        }

        private sealed class WorkItem
        {
            internal WorkItem(Action work)
            {
                Work = work;
            }

            internal Action Work { get; }

            internal TaskCompletionSource<object?> Completion { get; } =
                new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);

            /// <summary>
            /// Runs the call, returns the worker to the idle stack, then completes the task: the
            /// caller's next call (which waits for this task) finds the worker idle, instead of
            /// racing it and starting a new thread.
            /// </summary>
            internal void Execute(Worker worker)
            {
                Exception? failure = null;
                try
                {
                    Work();
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                Idle.Push(worker);
                if (failure == null)
                {
                    Completion.TrySetResult(null);
                }
                else
                {
                    Completion.TrySetException(failure);
                }
            }
        }

        private sealed class Worker
        {
            private readonly object gate = new object();
            private WorkItem? next;
            private bool retired;

            internal Worker(WorkItem first)
            {
                next = first;
            }

            /// <summary>Hands an idle worker its next call; false when it has already retired.</summary>
            internal bool TryAssign(WorkItem item)
            {
                lock (gate)
                {
                    if (retired)
                    {
                        return false;
                    }

                    next = item;
                    Monitor.Pulse(gate);
                    return true;
                }
            }

            internal void Loop()
            {
                while (true)
                {
                    WorkItem item;
                    lock (gate)
                    {
                        while (next == null)
                        {
                            if (!Monitor.Wait(gate, IdleLifetime) && next == null)
                            {
                                retired = true;
                                return;
                            }
                        }

                        item = next;
                        next = null;
                    }

                    item.Execute(this);
                }
            }
        }
    }
}
