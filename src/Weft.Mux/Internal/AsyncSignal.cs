using System.Threading.Tasks.Sources;

namespace Weft.Mux.Internal;

/// <summary>
/// A reusable, allocation-free wake-up for one waiter at a time. The waiter checks its condition and calls
/// <see cref="WaitAsync"/> under the owner's lock; a setter changes the condition (under that lock) and then
/// calls <see cref="Set"/>. A Set with nobody waiting is dropped, which is safe because the waiter re-checks
/// its condition under the lock before it arms. A spurious wake-up is harmless for the same reason: every
/// waiter loops until its condition holds.
/// </summary>
/// <remarks>
/// <see cref="Set"/> and cancellation never run the waiter's continuation on the caller's thread: the
/// completion is a thread-pool work item (this object itself, so queuing allocates nothing). Only
/// <see cref="TrySetInline"/> runs it on the calling thread; the read loop's hand-off (<see cref="LoopHandOff"/>)
/// uses it, with a watchdog that moves the loop elsewhere if the continuation does not return within a tick, so
/// application code that blocks stalls only its own stream.
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Armed = 1;
    private const int Completed = 2;

    // Continuations run where SetResult is called: in Execute (a pool thread) or in TrySetInline. A captured
    // SynchronizationContext or TaskScheduler is still honoured (the core posts to it).
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private CancellationTokenRegistration _registration;
    private Exception? _pendingError;
    private int _state;

    /// <summary>True while a waiter is armed and not yet woken (a hint: it may change at once).</summary>
    public bool IsArmed => Volatile.Read(ref _state) == Armed;

    /// <summary>Arms the signal; call under the owner's lock after the condition was found false.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (_state != Idle)
        {
            throw new InvalidOperationException("Another operation is already waiting; concurrent reads (or concurrent writes) on one stream are not supported.");
        }

        _state = Armed;
        short version = _core.Version;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncSignal)state!).Cancel(token), this);
        }

        return new ValueTask(this, version);
    }

    /// <summary>Wakes the waiter, if any, on a thread-pool thread.</summary>
    public void Set()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    /// <summary>
    /// Wakes the waiter, if any, running its continuation on the calling thread before returning (unless it
    /// captured a context, or is not registered yet: then it is queued as usual).
    /// </summary>
    /// <returns>False when nobody was waiting.</returns>
    public bool TrySetInline()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) != Armed)
        {
            return false;
        }

        _core.SetResult(true);
        return true;
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            _pendingError = new OperationCanceledException(token);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    /// <summary>Completes the wait queued by <see cref="Set"/> or a cancellation.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        // Read the error before completing: the continuation may re-arm and queue this item again at once.
        Exception? error = _pendingError;
        _pendingError = null;
        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _registration.Dispose();
            _registration = default;
            _core.Reset();
            Volatile.Write(ref _state, Idle);
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
