namespace Weft.Testing.Tests;

/// <summary>In-memory duplex behaviour beyond the conformance suite: fault injection and options.</summary>
public sealed class InMemoryDuplexTests
{
    [Fact]
    public async Task Abort_WhileReadAndWritePending_EverythingOnBothEndsThrowsIOException()
    {
        CancellationToken ct = TestTimeout.Token();
        var (first, second) = InMemoryDuplex.CreatePair(new InMemoryDuplexOptions { PauseWriterThreshold = 1024 });
        await using var pair = new StreamPair(first, second);
        Task<int> firstRead = first.ReadAsync(new byte[10], ct).AsTask();
        Task firstWrite = first.WriteAsync(new byte[100_000], ct).AsTask();
        await Task.Delay(100, ct);
        Assert.False(firstRead.IsCompleted);
        Assert.False(firstWrite.IsCompleted);

        second.Abort();
        await Assert.ThrowsAsync<IOException>(() => firstRead.WaitAsync(ct));
        await Assert.ThrowsAsync<IOException>(() => firstWrite.WaitAsync(ct));
        await Assert.ThrowsAsync<IOException>(() => second.ReadAsync(new byte[1], ct).AsTask());
        await Assert.ThrowsAsync<IOException>(() => second.WriteAsync(new byte[1], ct).AsTask());
        await Assert.ThrowsAsync<IOException>(() => first.ReadAsync(new byte[1], ct).AsTask());
        Assert.True(first.IsAborted);
        Assert.True(second.IsAborted);
    }

    [Fact]
    public async Task Write_PeerDisposed_ThrowsIOException()
    {
        CancellationToken ct = TestTimeout.Token();
        var (first, second) = InMemoryDuplex.CreatePair();
        await using var pair = new StreamPair(first, second);
        await second.DisposeAsync();
        await Assert.ThrowsAsync<IOException>(() => first.WriteAsync(new byte[10], ct).AsTask());
    }

    [Fact]
    public async Task Write_PauseThreshold_BuffersAtMostAboutTheThreshold()
    {
        CancellationToken ct = TestTimeout.Token();
        var (first, second) = InMemoryDuplex.CreatePair(new InMemoryDuplexOptions { PauseWriterThreshold = 4096 });
        await using var pair = new StreamPair(first, second);
        long written = 0;
        Task writing = Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                await first.WriteAsync(new byte[1000], ct);
                Interlocked.Add(ref written, 1000);
            }
        }, ct);
        await Task.Delay(200, ct);
        Assert.False(writing.IsCompleted);
        Assert.InRange(Interlocked.Read(ref written), 4000, 2 * 4096);
        await second.ReadExactlyAsync(new byte[100_000], ct);
        await writing.WaitAsync(ct);
    }

    [Fact]
    public void Options_ResumeAbovePause_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InMemoryDuplex.CreatePair(new InMemoryDuplexOptions { PauseWriterThreshold = 10, ResumeWriterThreshold = 11 }));
    }
}
