using System.Runtime.CompilerServices;
using Weft.Mux.Internal;

namespace Weft.Mux;

/// <summary>
/// How the read loop wakes the streams' readers and writers without a thread hop on the common path and
/// without letting application code stall the session.
/// </summary>
/// <remarks>
/// A plain socket's reader resumes on the thread that saw the data. Behind a mux, the read loop sees it; if
/// it woke the reader through the thread pool, every message would wait for a second thread. So the loop
/// runs the last woken waiter's continuation on its own thread, and when that returns (the usual case: the
/// reader copies or echoes and waits again) the loop goes on with its next read on the same thread: one
/// thread per message, as with a plain socket, and no thread-pool request on the message's path. If the
/// continuation has not returned within a tick (1–2 ms, <see cref="HandOffWatchdog"/>), the watchdog queues
/// the loop to the thread pool, so a continuation that blocks holds only its own thread and the session's
/// other streams keep flowing. <see cref="LoopHandOff"/> has the ownership, trampoline and context rules.
/// </remarks>
public sealed partial class MuxSession
{
    private readonly List<AsyncSignal> _wakeups = [];
    private readonly LoopHandOff _loopHandOff = new();
    private bool _deferWakeups;

    /// <summary>Test hook: how many wake-ups ran a waiter's continuation on the read loop's thread.</summary>
    internal long HandOffCount => _loopHandOff.InlineWaiters;

    /// <summary>Test hook: how many hand-offs ended with the loop going on inline, on the thread that ran the waiter.</summary>
    internal long InlineResumeCount => _loopHandOff.InlineResumes;

    /// <summary>Test hook: how many inline resumes went back to a driver lower on the stack instead of nesting.</summary>
    internal long TrampolineCount => _loopHandOff.Trampolined;

    /// <summary>Test hook: how many hand-offs the watchdog rescued because the waiter's continuation did not return in time.</summary>
    internal long RescueCount => _loopHandOff.Rescues;

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

    /// <summary>Wakes every deferred waiter through the thread pool, and stops the watchdog watching (the loop is ending).</summary>
    private void WakeDeferred()
    {
        foreach (AsyncSignal signal in _wakeups)
        {
            signal.Set();
        }

        _wakeups.Clear();
        _loopHandOff.Unregister();
    }

    /// <summary>
    /// Awaited by the read loop only: completes <c>signal</c>'s wait on the current thread, then resumes the loop
    /// here too, or from the thread pool if the watchdog rescued it (<see cref="LoopHandOff"/>). Never completes
    /// synchronously: the awaiter's continuation is what the hand-off hands on.
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
            // Not used by async methods (they call UnsafeOnCompleted): flow the caller's execution context.
            ExecutionContext? context = ExecutionContext.Capture();
            Action run = context is null
                ? continuation
                : () => ExecutionContext.Run(context, static state => ((Action)state!).Invoke(), continuation);
            session._loopHandOff.Run(run, signal);
        }

        public void UnsafeOnCompleted(Action continuation) => session._loopHandOff.Run(continuation, signal);
    }
}
