using System.Runtime.CompilerServices;
using Weft.Mux.Internal;
using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Session;

/// <summary>
/// The read loop's hand-off on its own (Internal/LoopHandOff.cs, Internal/HandOffWatchdog.cs): who runs the loop's
/// continuation, what application code may leave behind on the thread, and when the watchdog sleeps. Each test has
/// its own watchdog, so the rest of the suite's sessions cannot keep it awake; where the test plays the watchdog
/// itself, that watchdog has no thread, so a loaded machine cannot make it rescue on its own.
/// </summary>
public sealed class LoopHandOffTests
{
    [Fact]
    public async Task Rescue_StaleGenerationLoses_CurrentWinsOnce_InlineClaimThenStandsDown()
    {
        CancellationToken ct = TestToken.Create();
        using var watchdog = new HandOffWatchdog(runs: false);
        var handOff = new LoopHandOff(watchdog);

        // Episode 1: nobody waits, so the loop goes on inline at once.
        int firstRuns = 0;
        handOff.Run(() => firstRuns++, new AsyncSignal());
        Assert.Equal(1, firstRuns);
        Assert.Equal(2, handOff.State);
        long staleUnclaimed = 1;

        // Episode 2: the waiter's continuation plays the watchdog twice: with episode 1's state (too late, must
        // lose), then with the current one (must win). The thread that ran the waiter must then stand down.
        var signal = new AsyncSignal();
        ValueTask wait = signal.WaitAsync(ct);
        long rescuesAfterStale = -1;
        OnWoken(wait, () =>
        {
            handOff.TryRescue(staleUnclaimed);
            rescuesAfterStale = handOff.Rescues;
            handOff.TryRescue(handOff.State);
        });
        int loopRuns = 0;
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        handOff.Run(
            () =>
            {
                Interlocked.Increment(ref loopRuns);
                resumed.TrySetResult();
            },
            signal);
        await resumed.Task.WaitAsync(ct);

        Assert.Equal(0, rescuesAfterStale);
        Assert.Equal(1, handOff.Rescues);
        Assert.Equal(1, handOff.InlineWaiters);
        Assert.Equal(1, handOff.InlineResumes);
        Assert.Equal(4, handOff.State);
        await Task.Delay(50, ct);
        Assert.Equal(1, Volatile.Read(ref loopRuns));
        handOff.Unregister();
    }

    [Fact]
    public void Waiter_LeavesContextsOnTheThread_LoopGoesOnWithoutThem()
    {
        // No watchdog thread: the loop goes on inline, on the thread the waiter left its contexts on.
        using var watchdog = new HandOffWatchdog(runs: false);
        var handOff = new LoopHandOff(watchdog);
        var local = new AsyncLocal<string?>();
        SynchronizationContext? before = SynchronizationContext.Current;

        // A raw continuation (no async method around it) changes the thread's contexts and does not restore them.
        var signal = new AsyncSignal();
        ValueTask wait = signal.WaitAsync(CancellationToken.None);
        bool waiterRan = false;
        OnWoken(wait, () =>
        {
            local.Value = "leaked";
            SynchronizationContext.SetSynchronizationContext(new SynchronizationContext());
            waiterRan = true;
        });
        string? seenLocal = "not run";
        SynchronizationContext? seenContext = null;
        try
        {
            handOff.Run(
                () =>
                {
                    seenLocal = local.Value;
                    seenContext = SynchronizationContext.Current;
                },
                signal);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(before);
        }

        Assert.True(waiterRan);
        Assert.Null(seenLocal);
        Assert.Same(before, seenContext);
        Assert.Null(local.Value);
        handOff.Unregister();
    }

    [Fact]
    public async Task Watchdog_Idle_BlocksWithoutTicking_NextEpisodeWakesIt()
    {
        CancellationToken ct = TestToken.Create(60);
        using var watchdog = new HandOffWatchdog();
        var handOff = new LoopHandOff(watchdog);
        handOff.Run(static () => { }, new AsyncSignal());

        // After IdleTicksBeforeSleep ticks without an episode it blocks: no ticks at all while idle.
        await WaitUntilAsync(() => watchdog.IsSleeping, ct);
        long ticks = watchdog.Ticks;
        await Task.Delay(100, ct);
        Assert.True(watchdog.IsSleeping);
        Assert.Equal(ticks, watchdog.Ticks);

        // One episode wakes it, and it ticks again.
        handOff.Run(static () => { }, new AsyncSignal());
        await WaitUntilAsync(() => watchdog.Ticks > ticks, ct);
        handOff.Unregister();
    }

    /// <summary>A raw continuation on <paramref name="wait"/>, run where the signal is set (no context, no async method).</summary>
    private static void OnWoken(ValueTask wait, Action action)
    {
        ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter awaiter = wait.ConfigureAwait(false).GetAwaiter();
        awaiter.UnsafeOnCompleted(() =>
        {
            awaiter.GetResult();
            action();
        });
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(5, ct);
        }
    }
}
