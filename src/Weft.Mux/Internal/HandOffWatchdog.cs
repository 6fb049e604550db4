namespace Weft.Mux.Internal;

/// <summary>
/// Rescues read loops whose hand-off is stuck in application code: a <see cref="LoopHandOff"/> episode still
/// unclaimed after one tick has its loop continuation queued to the thread pool, so a waiter that blocks the
/// loop's thread stalls its own stream only, for at most about two ticks.
/// </summary>
/// <remarks>
/// <para>
/// The fast path pays nothing for this: an episode publishes a state word (generation × 2 + 1 while unclaimed)
/// that the hand-off writes anyway, and reads one flag. There is no timer to arm and no event to signal per
/// message. The watchdog is one background thread per process (<see cref="Shared"/>) that, while episodes
/// happen, sleeps <see cref="TickMilliseconds"/> at a time and compares each registered hand-off's state with
/// what it saw at the previous tick: a state that is still the same unclaimed episode has been in application
/// code for at least a tick, and the watchdog claims it (a compare-and-swap on that exact generation, so it can
/// never take a later episode) and queues the loop.
/// </para>
/// <para>
/// After <see cref="IdleTicksBeforeSleep"/> ticks with no episode it blocks on an event. The first episode after
/// that sees the sleeping flag and wakes it (one signal after idleness). The flag and the episode state are
/// both written with full fences before the other is read (the hand-off writes its state, then reads the flag;
/// the watchdog sets the flag, then reads every state), so either the episode wakes the watchdog or the
/// watchdog sees the episode and stays up.
/// </para>
/// </remarks>
internal sealed class HandOffWatchdog : IDisposable
{
    /// <summary>
    /// One tick. An episode is rescued when the same unclaimed episode is seen at two consecutive ticks: after
    /// 1–2 ms in application code on an idle machine (more when the machine is loaded and the watchdog's own
    /// wake-up is late). A 64-byte round trip is 30–100 µs here, so a healthy continuation is never rescued.
    /// </summary>
    public const int TickMilliseconds = 1;

    /// <summary>Ticks without any episode after which the watchdog blocks until the next one (about 64 ms).</summary>
    public const int IdleTicksBeforeSleep = 64;

    private readonly Lock _lock = new();
    private readonly AutoResetEvent _wake = new(initialState: false);
    private LoopHandOff[] _registered = [];
    private Thread? _thread;
    private int _sleeping;
    private long _ticks;
    private volatile bool _disposed;

    private readonly bool _runs;

    /// <summary>A watchdog; its thread starts with the first registration.</summary>
    /// <param name="runs">False for tests that play the watchdog themselves: registrations are kept, no thread ever starts.</param>
    public HandOffWatchdog(bool runs = true)
    {
        _runs = runs;
    }

    /// <summary>The process's watchdog; tests make their own.</summary>
    public static HandOffWatchdog Shared { get; } = new();

    /// <summary>Test hook: true while the watchdog is blocked (or about to block) waiting for an episode.</summary>
    internal bool IsSleeping => Volatile.Read(ref _sleeping) != 0;

    /// <summary>Test hook: how many ticks the watchdog has scanned.</summary>
    internal long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Starts watching <paramref name="handOff"/> (once per read loop); starts the thread on first use.</summary>
    public void Register(LoopHandOff handOff)
    {
        lock (_lock)
        {
            Volatile.Write(ref _registered, [.. _registered, handOff]);
            if (_thread is null && _runs)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "Weft mux hand-off watchdog" };
                _thread.Start();
            }
        }
    }

    /// <summary>Stops watching <paramref name="handOff"/> (its read loop ended).</summary>
    public void Unregister(LoopHandOff handOff)
    {
        lock (_lock)
        {
            int index = Array.IndexOf(_registered, handOff);
            if (index >= 0)
            {
                LoopHandOff[] rest = new LoopHandOff[_registered.Length - 1];
                Array.Copy(_registered, rest, index);
                Array.Copy(_registered, index + 1, rest, index, rest.Length - index);
                Volatile.Write(ref _registered, rest);
            }
        }
    }

    /// <summary>Called after an episode published its state (with a full fence): wakes the watchdog if it sleeps.</summary>
    public void OnEpisode()
    {
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) != 0)
        {
            _wake.Set();
        }
    }

    /// <summary>Ends the watchdog's thread (tests' own watchdogs; <see cref="Shared"/> lives as long as the process).</summary>
    public void Dispose()
    {
        _disposed = true;
        _wake.Set();
        _thread?.Join();
        _wake.Dispose();
    }

    private void Run()
    {
        int idleTicks = 0;
        while (!_disposed)
        {
            Thread.Sleep(TickMilliseconds);
            Interlocked.Increment(ref _ticks);
            if (Scan())
            {
                idleTicks = 0;
                continue;
            }

            if (++idleTicks < IdleTicksBeforeSleep)
            {
                continue;
            }

            // Announce the sleep, then look once more: an episode that began before the flag was visible is seen
            // here; one that begins after it wakes us.
            Interlocked.Exchange(ref _sleeping, 1);
            if (Scan())
            {
                // A late episode; if it also saw the flag, the event stays set and costs one spurious tick later.
                Interlocked.Exchange(ref _sleeping, 0);
            }
            else
            {
                _wake.WaitOne();
            }

            idleTicks = 0;
        }
    }

    /// <summary>Rescues episodes unclaimed since the last tick; true when any hand-off was busy.</summary>
    private bool Scan()
    {
        bool busy = false;
        foreach (LoopHandOff handOff in Volatile.Read(ref _registered))
        {
            long state = handOff.State;
            if (state != handOff.WatchdogSeen)
            {
                handOff.WatchdogSeen = state;
                busy = true;
            }
            else if (LoopHandOff.IsUnclaimed(state))
            {
                handOff.TryRescue(state);
                busy = true;
            }
        }

        return busy;
    }
}
