namespace Weft.Testing;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock moves only when the test says so, for code that takes an
/// injected <see cref="TimeProvider"/> (STYLE rule 1): keepalives, timeouts, window growth.
/// </summary>
/// <remarks>
/// <para><see cref="GetUtcNow"/> and <see cref="GetTimestamp"/> return the manual clock (the timestamp
/// frequency is <see cref="TimeSpan.TicksPerSecond"/>). Timers created through <see cref="CreateTimer"/>
/// — including those behind <c>Task.Delay(TimeSpan, TimeProvider)</c> and
/// <c>new CancellationTokenSource(TimeSpan, TimeProvider)</c> — fire only inside <see cref="Advance"/>
/// (or <see cref="SetUtcNow"/>), synchronously on the advancing thread, in due-time order, with the
/// clock set to each timer's due time while its callback runs. A timer created or changed with a due
/// time of zero fires immediately, on the calling thread.</para>
/// <para>Thread-safe: timers may be created, changed and disposed from any thread, also from callbacks.</para>
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;
    private long _sequence;

    /// <summary>Creates a provider whose clock starts at <paramref name="start"/> (default 2000-01-01T00:00:00Z).</summary>
    /// <param name="start">Initial UTC time.</param>
    public ManualTimeProvider(DateTimeOffset? start = null)
    {
        _now = start ?? new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>The time zone for <see cref="TimeProvider.GetLocalNow"/>; UTC unless set.</summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZone;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Number of timers that are scheduled (created, not disposed, with a finite due time).</summary>
    public int ActiveTimerCount
    {
        get
        {
            lock (_lock)
            {
                return _timers.Count;
            }
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    /// <inheritdoc />
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>
    /// Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the way,
    /// in order. Periodic timers fire once per elapsed period.
    /// </summary>
    /// <param name="delta">How far to move; must not be negative.</param>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_lock)
        {
            target = _now + delta;
        }

        RunUntil(target);
    }

    /// <summary>Sets the clock to <paramref name="value"/> (not earlier than now), firing timers that fall due.</summary>
    /// <param name="value">The new UTC time.</param>
    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_lock)
        {
            if (value < _now)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Time cannot move backwards.");
            }
        }

        RunUntil(value);
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    internal void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        ValidatePeriod(dueTime, nameof(dueTime));
        ValidatePeriod(period, nameof(period));
        bool fireNow;
        lock (_lock)
        {
            _timers.Remove(timer);
            if (timer.IsDisposed || dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            timer.Due = _now + dueTime;
            timer.Period = period;
            timer.Sequence = _sequence++;
            _timers.Add(timer);
            fireNow = dueTime == TimeSpan.Zero;
        }

        if (fireNow)
        {
            RunUntil(GetUtcNow());
        }
    }

    internal void Remove(ManualTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    private static void ValidatePeriod(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "A timer time is zero or positive, or Timeout.InfiniteTimeSpan.");
        }
    }

    private void RunUntil(DateTimeOffset target)
    {
        while (true)
        {
            ManualTimer? next = null;
            lock (_lock)
            {
                foreach (var timer in _timers)
                {
                    if (timer.Due <= target && (next is null || timer.Due < next.Due || (timer.Due == next.Due && timer.Sequence < next.Sequence)))
                    {
                        next = timer;
                    }
                }

                if (next is null)
                {
                    if (target > _now)
                    {
                        _now = target;
                    }

                    return;
                }

                if (next.Due > _now)
                {
                    _now = next.Due;
                }

                _timers.Remove(next);
                if (next.Period != Timeout.InfiniteTimeSpan && next.Period > TimeSpan.Zero)
                {
                    next.Due += next.Period;
                    next.Sequence = _sequence++;
                    _timers.Add(next);
                }
            }

            // Outside the lock: a callback may create, change or dispose timers, or read the clock.
            next.Fire();
        }
    }
}
