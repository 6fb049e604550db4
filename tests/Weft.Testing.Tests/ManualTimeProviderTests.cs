namespace Weft.Testing.Tests;

public sealed class ManualTimeProviderTests
{
    [Fact]
    public void Timer_NotAdvanced_DoesNotFire()
    {
        var time = new ManualTimeProvider();
        int fired = 0;
        using ITimer timer = time.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, fired);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, fired);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void PeriodicTimer_AdvancedSeveralPeriods_FiresOncePerPeriodAtItsDueTime()
    {
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new ManualTimeProvider(start);
        var seen = new List<TimeSpan>();
        using ITimer timer = time.CreateTimer(_ => seen.Add(time.GetUtcNow() - start), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)], seen);
        Assert.Equal(start + TimeSpan.FromSeconds(6), time.GetUtcNow());
    }

    [Fact]
    public void Timers_DueAtDifferentTimes_FireInDueOrder()
    {
        var time = new ManualTimeProvider();
        var order = new List<string>();
        using ITimer late = time.CreateTimer(_ => order.Add("late"), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using ITimer early = time.CreateTimer(_ => order.Add("early"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["early", "late"], order);
    }

    [Fact]
    public void Timer_ChangedOrDisposed_FollowsTheChange()
    {
        var time = new ManualTimeProvider();
        int fired = 0;
        ITimer timer = time.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, fired);
        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, fired);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public void Timestamp_Advanced_MovesByExactlyTheDelta()
    {
        var time = new ManualTimeProvider();
        long before = time.GetTimestamp();
        time.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), time.GetElapsedTime(before));
        Assert.Equal(TimeSpan.Zero, time.GetElapsedTime(time.GetTimestamp()));
    }

    [Fact]
    public async Task TaskDelay_OnManualTime_CompletesOnlyWhenAdvanced()
    {
        CancellationToken ct = TestTimeout.Token();
        var time = new ManualTimeProvider();
        Task delay = Task.Delay(TimeSpan.FromSeconds(30), time, ct);
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await delay.WaitAsync(ct);
    }

    [Fact]
    public void CancellationTokenSource_OnManualTime_CancelsOnlyWhenAdvanced()
    {
        var time = new ManualTimeProvider();
        using var source = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(source.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(source.IsCancellationRequested);
    }

    [Fact]
    public void Callback_CreatesTimer_NewTimerFiresInSameAdvanceWhenDue()
    {
        var time = new ManualTimeProvider();
        var fired = new List<int>();
        ITimer? inner = null;
        using ITimer outer = time.CreateTimer(
            _ =>
            {
                fired.Add(1);
                inner = time.CreateTimer(_ => fired.Add(2), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            },
            null,
            TimeSpan.FromSeconds(1),
            Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal([1, 2], fired);
        inner?.Dispose();
    }
}
