using System.Threading.Tasks.Sources;

namespace Weft.Mux.Internal;

/// <summary>
/// A reusable, allocation-free wake-up for one waiter at a time. The waiter checks its condition and calls
/// <see cref="WaitAsync"/> under the owner's lock; a setter changes the condition (under that lock) and then
/// calls <see cref="Set"/>. A Set with nobody waiting is dropped, which is safe because the waiter re-checks
/// its condition under the lock before it arms.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Armed = 1;
    private const int Completed = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private int _state;

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

    /// <summary>Wakes the waiter, if any.</summary>
    public void Set()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            _core.SetResult(true);
        }
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Armed) == Armed)
        {
            _core.SetException(new OperationCanceledException(token));
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
