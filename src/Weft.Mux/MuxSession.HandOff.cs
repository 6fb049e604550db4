using System.Runtime.CompilerServices;
using Weft.Mux.Internal;

namespace Weft.Mux;

/// <summary>
/// How the read loop wakes the streams' readers and writers without a thread hop on the common path and
/// without ever running application code on the loop itself.
/// </summary>
/// <remarks>
/// A plain socket's reader resumes on the thread that saw the data. Behind a mux, the read loop sees it; if
/// it woke the reader through the thread pool, every message would wait for a second thread (measured: the
/// whole of weft's round-trip excess over raw TCP between processes). Running the reader inline on the loop
/// would let one stream's application code stall every stream. The hand-off does neither: the loop queues
/// its own continuation to the thread pool and then runs the reader's continuation on the current thread.
/// The loop's next read of the connection moves to another thread, off the message's critical path; if the
/// reader blocks, it blocks only this thread.
/// </remarks>
public sealed partial class MuxSession
{
    private readonly List<AsyncSignal> _wakeups = [];
    private readonly LoopResume _loopResume = new();
    private bool _deferWakeups;
    private long _handOffs;

    /// <summary>Test hook: how many wake-ups ran a waiter's continuation on the read loop's thread after the loop moved on.</summary>
    internal long HandOffCount => Interlocked.Read(ref _handOffs);

    /// <summary>
    /// Wakes <paramref name="signal"/>'s waiter. Called under the owning stream's lock after the condition changed;
    /// from the yamux read loop the wake-up is deferred to the end of the current buffer.
    /// </summary>
    internal void Wake(AsyncSignal signal)
    {
        if (!_deferWakeups)
        {
            signal.Set();
            return;
        }

        // Nobody armed means the waiter will see the new state under the lock before it arms: nothing to wake.
        // Consecutive frames for one stream are common; a duplicate further back is only a harmless extra wake.
        if (signal.IsArmed && (_wakeups.Count == 0 || !ReferenceEquals(_wakeups[^1], signal)))
        {
            _wakeups.Add(signal);
        }
    }

    /// <summary>Wakes every deferred waiter but the last through the thread pool; returns the last for the hand-off.</summary>
    private AsyncSignal? TakeWakeups()
    {
        int count = _wakeups.Count;
        if (count == 0)
        {
            return null;
        }

        for (int i = 0; i < count - 1; i++)
        {
            _wakeups[i].Set();
        }

        AsyncSignal last = _wakeups[count - 1];
        _wakeups.Clear();
        return last.IsArmed ? last : null;
    }

    /// <summary>Wakes every deferred waiter through the thread pool (the loop is ending).</summary>
    private void WakeDeferred()
    {
        foreach (AsyncSignal signal in _wakeups)
        {
            signal.Set();
        }

        _wakeups.Clear();
    }

    /// <summary>
    /// Awaited by the read loop only: queues the loop's continuation, then completes <c>signal</c>'s wait on the
    /// current thread. Never completes synchronously, so the loop always resumes from the thread pool.
    /// </summary>
    private readonly struct ReaderHandOff(MuxSession session, AsyncSignal signal) : ICriticalNotifyCompletion
    {
        public bool IsCompleted => false;

        public ReaderHandOff GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation)
        {
            // Not used by async methods (they call UnsafeOnCompleted); flows the execution context to be safe.
            ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);
            RunWaiter();
        }

        public void UnsafeOnCompleted(Action continuation)
        {
            // Order matters: the loop must be on its way before any application code runs here.
            session._loopResume.Schedule(continuation);
            RunWaiter();
        }

        private void RunWaiter()
        {
            if (signal.TrySetInline())
            {
                Interlocked.Increment(ref session._handOffs);
            }
        }
    }

    /// <summary>The read loop's continuation as a reusable thread-pool work item (queuing it allocates nothing).</summary>
    private sealed class LoopResume : IThreadPoolWorkItem
    {
        private Action? _continuation;

        public void Schedule(Action continuation)
        {
            _continuation = continuation;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        public void Execute()
        {
            Action continuation = _continuation!;
            _continuation = null;
            continuation();
        }
    }
}
