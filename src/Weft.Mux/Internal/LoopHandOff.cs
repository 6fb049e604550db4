namespace Weft.Mux.Internal;

/// <summary>
/// One read loop's hand-off: runs a woken waiter's continuation on the loop's thread, then goes on with the loop on
/// that same thread, unless the waiter is still running after a tick, in which case the <see cref="HandOffWatchdog"/>
/// moves the loop to the thread pool. Owned by one session; the loop awaits it through
/// <c>MuxSession.ReaderHandOff</c>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Episodes and ownership.</b> Each hand-off is an episode with a new generation. <see cref="State"/> is
/// generation × 2, plus 1 while the loop's continuation is unclaimed. When the waiter's continuation returns,
/// the thread that ran it claims the loop with a compare-and-swap from exactly that odd value; the watchdog
/// claims with the same compare-and-swap. Exactly one wins; the loser does nothing. The object is reused, but
/// the generation makes a stale claimant (a watchdog that read an old state, or a thread returning from a
/// waiter long after a rescue) fail against any later episode.
/// </para>
/// <para>
/// <b>No recursion.</b> The first hand-off on a thread starts a driver (<see cref="Drive"/>) that runs the
/// loop's continuation; when that continuation reaches the next hand-off synchronously (more frames were
/// already buffered), the claim stores the continuation in a thread-static slot and returns, and the driver
/// runs it once the current step has unwound. A burst of buffered messages is then a loop, not a stack. The
/// slot belongs to the loop step that is running directly under the driver: while a waiter's (application)
/// continuation runs, the thread-static owner is cleared, so a hand-off of any session that the application
/// code triggers starts its own driver instead of parking its loop in another's trampoline.
/// </para>
/// <para>
/// <b>Contexts.</b> The loop's continuation is an async method's, which restores its own ExecutionContext; the
/// waiter's continuation restores its own as well. Application code that leaves a different ExecutionContext
/// or SynchronizationContext on the thread is undone before the loop goes on (the thread pool would do the
/// same between work items).
/// </para>
/// </remarks>
internal sealed class LoopHandOff : IThreadPoolWorkItem
{
    // The hand-off whose loop step is running directly under a driver on this thread (no application code in
    // between), and the loop continuation that step handed back to that driver.
    [ThreadStatic]
    private static LoopHandOff? t_stepOwner;

    [ThreadStatic]
    private static Action? t_deferred;

    private readonly HandOffWatchdog _watchdog;
    private Action? _continuation;
    private long _state;
    private long _generation;
    private bool _registered;
    private long _inlineWaiters;
    private long _inlineResumes;
    private long _trampolined;
    private long _rescues;

    public LoopHandOff(HandOffWatchdog? watchdog = null)
    {
        _watchdog = watchdog ?? HandOffWatchdog.Shared;
    }

    /// <summary>Generation × 2, plus 1 while an episode's loop continuation is unclaimed.</summary>
    public long State => Interlocked.Read(ref _state);

    /// <summary>The state the watchdog saw at its last tick (read and written by the watchdog's thread only).</summary>
    internal long WatchdogSeen { get; set; }

    /// <summary>How many waiters' continuations ran on the loop's thread.</summary>
    public long InlineWaiters => Interlocked.Read(ref _inlineWaiters);

    /// <summary>How many episodes ended with the loop going on inline on the thread that ran the waiter.</summary>
    public long InlineResumes => Interlocked.Read(ref _inlineResumes);

    /// <summary>How many of those were handed back to a driver lower on the same stack instead of nesting.</summary>
    public long Trampolined => Interlocked.Read(ref _trampolined);

    /// <summary>How many episodes the watchdog rescued (the loop went on from the thread pool).</summary>
    public long Rescues => Interlocked.Read(ref _rescues);

    /// <summary>Whether <paramref name="state"/> is an episode whose loop continuation nobody has claimed yet.</summary>
    public static bool IsUnclaimed(long state) => (state & 1) != 0;

    /// <summary>
    /// Runs <paramref name="waiter"/>'s continuation (if it is still waiting) on this thread, then the loop's
    /// <paramref name="continuation"/>, here or, if the waiter overran its tick, from the thread pool.
    /// Called by the loop only, one episode at a time.
    /// </summary>
    public void Run(Action continuation, AsyncSignal waiter)
    {
        if (!_registered)
        {
            _registered = true;
            _watchdog.Register(this);
        }

        long unclaimed = (++_generation * 2) + 1;
        _continuation = continuation;

        // Full fence: the watchdog must see this episode or we must see it sleeping (HandOffWatchdog remarks).
        Interlocked.Exchange(ref _state, unclaimed);
        _watchdog.OnEpisode();

        LoopHandOff? stepOwner = t_stepOwner;
        t_stepOwner = null;
        ExecutionContext? executionContext = ExecutionContext.Capture();
        SynchronizationContext? synchronizationContext = SynchronizationContext.Current;
        try
        {
            if (waiter.TrySetInline())
            {
                Interlocked.Increment(ref _inlineWaiters);
            }
        }
        finally
        {
            // If the waiter threw, the claim below is skipped and the watchdog rescues the loop.
            t_stepOwner = stepOwner;
            RestoreContexts(executionContext, synchronizationContext);
        }

        if (Interlocked.CompareExchange(ref _state, unclaimed - 1, unclaimed) != unclaimed)
        {
            // The watchdog took the loop while the waiter ran; it goes on elsewhere.
            return;
        }

        Action next = _continuation!;
        _continuation = null;
        Interlocked.Increment(ref _inlineResumes);
        if (ReferenceEquals(stepOwner, this))
        {
            // This loop step runs under our driver lower on this stack: hand the continuation back to it.
            Interlocked.Increment(ref _trampolined);
            t_deferred = next;
            return;
        }

        Drive(next);
    }

    /// <summary>Called by the watchdog with a state it saw unclaimed a tick ago: claims that episode, queues the loop.</summary>
    public void TryRescue(long unclaimed)
    {
        if (Interlocked.CompareExchange(ref _state, unclaimed - 1, unclaimed) == unclaimed)
        {
            Interlocked.Increment(ref _rescues);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Stops the watchdog watching this loop (the loop has ended; no episode can be in progress).</summary>
    public void Unregister()
    {
        if (_registered)
        {
            _registered = false;
            _watchdog.Unregister(this);
        }
    }

    /// <summary>The rescue: the loop's continuation runs from the thread pool, under a driver of its own.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        Action next = _continuation!;
        _continuation = null;
        Drive(next);
    }

    /// <summary>Runs loop continuations on this thread until a step goes pending without handing one back.</summary>
    private void Drive(Action continuation)
    {
        LoopHandOff? outerOwner = t_stepOwner;
        Action? outerDeferred = t_deferred;
        t_stepOwner = this;
        t_deferred = null;
        try
        {
            Action? next = continuation;
            while (next is not null)
            {
                next();
                next = t_deferred;
                t_deferred = null;
            }
        }
        finally
        {
            t_stepOwner = outerOwner;
            t_deferred = outerDeferred;
        }
    }

    private static void RestoreContexts(ExecutionContext? executionContext, SynchronizationContext? synchronizationContext)
    {
        if (!ReferenceEquals(SynchronizationContext.Current, synchronizationContext))
        {
            SynchronizationContext.SetSynchronizationContext(synchronizationContext);
        }

        if (executionContext is not null && !ReferenceEquals(ExecutionContext.Capture(), executionContext))
        {
            ExecutionContext.Restore(executionContext);
        }
    }
}
