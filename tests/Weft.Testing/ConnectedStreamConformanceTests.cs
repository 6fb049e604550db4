using System.Diagnostics;
using System.Security.Cryptography;

namespace Weft.Testing;

/// <summary>
/// The connected-stream conformance suite: one set of tests that every Weft stream type (mux stream,
/// secure-channel stream, stripe bundle, tunnelled connection) runs over every transport (in-memory,
/// TCP, WebSocket). Subclass it in a test project, implement <see cref="CreateConnectedStreamsAsync"/>,
/// and override the capability hooks your stream supports; xunit then runs every test below against
/// your stream. A test whose capability is off does not exist for that stream (see
/// <see cref="ConformanceFactAttribute"/>): nothing is skipped, and every test reported ran.
/// </summary>
/// <remarks>
/// <para>Contract checked (BCL <see cref="Stream"/> plus Weft's choices):</para>
/// <list type="bullet">
/// <item>Bytes arrive exactly, in order, whatever the write and read sizes and whichever API family
/// (sync, Task, ValueTask/Memory, Begin/End) is used; a read returns as soon as some data is available
/// and returns 0 only at end of stream.</item>
/// <item>A zero-byte <c>ReadAsync</c> waits until data is available and consumes nothing (turn off with
/// <see cref="ZeroByteReadWaitsForData"/>); a zero-byte write is a no-op.</item>
/// <item>One read and one write may run concurrently on the same stream.</item>
/// <item>Half-close (<see cref="CompleteWritesAsync"/>): the peer reads the remaining bytes, then end of
/// stream, again and again; the other direction keeps working; a later write on the closed side throws
/// <see cref="InvalidOperationException"/> or <see cref="IOException"/>.</item>
/// <item>Dispose: the peer's pending read ends with 0 or an <see cref="IOException"/>, never hangs;
/// this side's operations then throw <see cref="ObjectDisposedException"/>; Dispose is idempotent.</item>
/// <item>Cancellation: a pending read cancelled by its token throws
/// <see cref="OperationCanceledException"/>; for Weft streams the stream stays usable and no byte is
/// lost (<see cref="UsableAfterCanceledRead"/>). An already-cancelled token fails the call without
/// consuming or sending anything.</item>
/// <item>Abort (<see cref="AbortAsync"/>): the peer's reads and writes throw <see cref="IOException"/>.</item>
/// <item>Timeouts (<see cref="SupportsTimeouts"/>): a synchronous read with nothing to read throws
/// <see cref="IOException"/> or <see cref="TimeoutException"/> after about <c>ReadTimeout</c>, and the
/// stream stays usable (Weft's choice; the data that arrives later is read normally). Without timeout
/// support, <c>CanTimeout</c> is false and the timeout properties throw
/// <see cref="InvalidOperationException"/> (the BCL default).</item>
/// <item>Back-pressure (<see cref="BlocksOnWriteWhenPeerDoesNotRead"/>): a writer whose peer never reads
/// blocks before <see cref="BackPressureProbeBytes"/>; when the peer drains, everything arrives intact.</item>
/// <item>Non-seekable: <c>CanSeek</c> is false and <c>Length</c>, <c>Position</c>, <c>Seek</c>,
/// <c>SetLength</c> throw <see cref="NotSupportedException"/>.</item>
/// </list>
/// <para>Every test runs under <see cref="TestTimeout"/> (<see cref="TimeoutSeconds"/>); sleeps are used
/// only to give a call that must stay blocked the chance to prove it (<see cref="BlockedProofDelay"/>).</para>
/// <example>
/// <code>
/// public sealed class MuxStreamOverTcpConformanceTests : ConnectedStreamConformanceTests
/// {
///     protected override async Task&lt;StreamPair&gt; CreateConnectedStreamsAsync(CancellationToken ct)
///     {
///         var tcp = await TcpPair.CreateAsync(ct);
///         // ... start two sessions over tcp.First / tcp.Second, open and accept one stream ...
///         return new StreamPair(opened, accepted, async () =&gt; { await sessions.DisposeAsync(); await tcp.DisposeAsync(); });
///     }
///     protected override bool SupportsHalfClose =&gt; true;
///     protected override ValueTask CompleteWritesAsync(Stream s) { ((MuxStream)s).CompleteWrites(); return default; }
/// }
/// </code>
/// </example>
/// </remarks>
public abstract class ConnectedStreamConformanceTests
{
    private const int KiB = 1024;
    private const int MiB = 1024 * 1024;

    /// <summary>Sizes used by <see cref="ReadWrite_VariousSizesAndApis_BytesArriveExactly"/>.</summary>
    public static readonly IReadOnlyList<int> TransferSizes = [0, 1, 100, 64 * KiB, 1 * MiB];

    /// <summary>Theory data: every size × API family × direction.</summary>
    public static TheoryData<int, StreamIoApi, bool> SizesApisAndDirections
    {
        get
        {
            var data = new TheoryData<int, StreamIoApi, bool>();
            foreach (int size in TransferSizes)
            {
                foreach (StreamIoApi api in Enum.GetValues<StreamIoApi>())
                {
                    data.Add(size, api, false);
                    data.Add(size, api, true);
                }
            }

            return data;
        }
    }

    /// <summary>Whether <see cref="CompleteWritesAsync"/> is implemented (half-close). Default false.</summary>
    protected virtual bool SupportsHalfClose => false;

    /// <summary>Whether <see cref="AbortAsync"/> is implemented. Default false.</summary>
    protected virtual bool SupportsAbort => false;

    /// <summary>
    /// Whether <c>ReadTimeout</c>/<c>WriteTimeout</c> are honoured by the synchronous methods. Default
    /// false, in which case <c>CanTimeout</c> must be false.
    /// </summary>
    protected virtual bool SupportsTimeouts => false;

    /// <summary>
    /// Whether a writer whose peer never reads eventually blocks (flow control, bounded buffers).
    /// Default true: every Weft layer has back-pressure (STYLE rule 8).
    /// </summary>
    protected virtual bool BlocksOnWriteWhenPeerDoesNotRead => true;

    /// <summary>Whether written data may stay buffered until <c>Flush</c>; the suite then flushes after each write. Default false.</summary>
    protected virtual bool FlushRequiredToWriteData => false;

    /// <summary>
    /// Whether the stream stays usable, losing no byte, after a pending read is cancelled through its
    /// token. Default true (Weft streams). When false, the suite only checks the
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    protected virtual bool UsableAfterCanceledRead => true;

    /// <summary>Whether a zero-byte <c>ReadAsync</c> waits for data (rather than returning 0 at once). Default true.</summary>
    protected virtual bool ZeroByteReadWaitsForData => true;

    /// <summary>The capabilities the hooks above declare; <see cref="ConformanceFactDiscoverer"/> reads them to decide which tests exist.</summary>
    internal StreamCapability DeclaredCapabilities =>
        (SupportsHalfClose ? StreamCapability.HalfClose : StreamCapability.None)
        | (SupportsAbort ? StreamCapability.Abort : StreamCapability.None)
        | (SupportsTimeouts ? StreamCapability.Timeouts : StreamCapability.None)
        | (BlocksOnWriteWhenPeerDoesNotRead ? StreamCapability.BackPressure : StreamCapability.None)
        | (ZeroByteReadWaitsForData ? StreamCapability.ZeroByteReadWaits : StreamCapability.None);

    /// <summary>Per-test timeout in seconds (scaled by <see cref="TestTimeout.Scale"/>). Default 30.</summary>
    protected virtual int TimeoutSeconds => TestTimeout.DefaultSeconds;

    /// <summary>Bytes per direction in the concurrent large transfer. Default 32 MiB.</summary>
    protected virtual long LargeTransferBytes => 32L * MiB;

    /// <summary>Most bytes the back-pressure test writes without the peer reading before it fails. Default 64 MiB.</summary>
    protected virtual long BackPressureProbeBytes => 64L * MiB;

    /// <summary>How long a call that must stay blocked is given to prove it. Default 100 ms.</summary>
    protected virtual TimeSpan BlockedProofDelay => TimeSpan.FromMilliseconds(100);

    /// <summary>The <c>ReadTimeout</c>/<c>WriteTimeout</c> set by the timeout tests. Default 250 ms.</summary>
    protected virtual TimeSpan TimeoutUnderTest => TimeSpan.FromMilliseconds(250);

    /// <summary>Creates two connected streams, fresh for each test.</summary>
    /// <param name="cancellationToken">The test's timeout token.</param>
    /// <returns>The pair; the test disposes it.</returns>
    protected abstract Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken);

    /// <summary>Half-closes <paramref name="stream"/>: it will write no more and its peer reads end of stream. Default: throws <see cref="NotSupportedException"/>.</summary>
    /// <param name="stream">One of the streams of the pair.</param>
    /// <returns>A task that completes once the half-close is sent.</returns>
    protected virtual ValueTask CompleteWritesAsync(Stream stream) => throw new NotSupportedException("Override CompleteWritesAsync and SupportsHalfClose.");

    /// <summary>Aborts <paramref name="stream"/> so that its peer sees an <see cref="IOException"/>. Default: throws <see cref="NotSupportedException"/>.</summary>
    /// <param name="stream">One of the streams of the pair.</param>
    /// <returns>A task that completes once the abort is sent.</returns>
    protected virtual ValueTask AbortAsync(Stream stream) => throw new NotSupportedException("Override AbortAsync and SupportsAbort.");

    /// <summary>Bytes arrive exactly for each size, API family and direction.</summary>
    /// <param name="size">Payload size.</param>
    /// <param name="api">API family used for both writing and reading.</param>
    /// <param name="reverse">Whether to send from <see cref="StreamPair.Second"/> to <see cref="StreamPair.First"/>.</param>
    /// <returns>The test.</returns>
    [Theory]
    [MemberData(nameof(SizesApisAndDirections))]
    public async Task ReadWrite_VariousSizesAndApis_BytesArriveExactly(int size, StreamIoApi api, bool reverse)
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        var (writer, reader) = reverse ? (pair.Second, pair.First) : (pair.First, pair.Second);
        const int tailLength = 16;
        int seed = size + (int)api;
        byte[] all = Patterns.Create(size + tailLength, seed);

        // The tail proves a zero-size write neither ended nor broke the stream.
        Task writing = Task.Run(async () =>
        {
            await WriteWithApiAsync(writer, all, 0, size, api, ct);
            await WriteWithApiAsync(writer, all, size, tailLength, api, ct);
        }, ct);
        byte[] received = new byte[all.Length];
        await ReadExactlyWithApiAsync(reader, received, api, ct);
        await writing.WaitAsync(ct);
        Patterns.AssertMatches(received, 0, seed);
    }

    /// <summary>A large transfer in both directions at once arrives intact (SHA-256).</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task LargeTransfer_BothDirectionsConcurrently_Sha256Matches()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        long n = LargeTransferBytes;
        Task<byte[]> sentForward = Task.Run(() => Patterns.WriteAsync(pair.First, n, seed: 1, cancellationToken: ct), ct);
        Task<byte[]> sentBackward = Task.Run(() => Patterns.WriteAsync(pair.Second, n, seed: 2, cancellationToken: ct), ct);
        Task<(long Length, byte[] Sha256)> readForward = Task.Run(() => Patterns.ReadAndHashAsync(pair.Second, n, cancellationToken: ct), ct);
        Task<(long Length, byte[] Sha256)> readBackward = Task.Run(() => Patterns.ReadAndHashAsync(pair.First, n, cancellationToken: ct), ct);
        await Task.WhenAll(sentForward, sentBackward, readForward, readBackward).WaitAsync(ct);
        Assert.Equal(n, readForward.Result.Length);
        Assert.Equal(n, readBackward.Result.Length);
        Assert.Equal(Convert.ToHexString(sentForward.Result), Convert.ToHexString(readForward.Result.Sha256));
        Assert.Equal(Convert.ToHexString(sentBackward.Result), Convert.ToHexString(readBackward.Result.Sha256));
    }

    /// <summary>A pending read does not block a write on the same stream.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task ReadAndWrite_ConcurrentOnSameStream_NeitherBlocksTheOther()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        byte[] readBuffer = new byte[100];
        Task<int> pendingRead = pair.First.ReadAsync(readBuffer, ct).AsTask();
        await Task.Delay(BlockedProofDelay, ct);
        Assert.False(pendingRead.IsCompleted, "A read with nothing to read completed.");

        byte[] forward = Patterns.Create(1000, seed: 3);
        await WriteAsync(pair.First, forward, ct).WaitAsync(ct);
        byte[] forwardReceived = new byte[forward.Length];
        await pair.Second.ReadExactlyAsync(forwardReceived, ct);
        Patterns.AssertMatches(forwardReceived, 0, seed: 3);
        Assert.False(pendingRead.IsCompleted, "The read completed before anything was sent to it.");

        byte[] backward = Patterns.Create(100, seed: 4);
        await WriteAsync(pair.Second, backward, ct);
        int n = await pendingRead.WaitAsync(ct);
        Assert.InRange(n, 1, 100);
        await pair.First.ReadExactlyAsync(readBuffer.AsMemory(n), ct);
        Patterns.AssertMatches(readBuffer, 0, seed: 4);
    }

    /// <summary>Many small writes read back with arbitrary read sizes arrive in order, however they coalesce or fragment.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task SmallWrites_ManyWithRandomReadSizes_ArriveInOrder()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        const int total = 256 * KiB;
        byte[] data = Patterns.Create(total, seed: 5);
        Task writing = Task.Run(async () =>
        {
            var random = new Random(17);
            for (int position = 0; position < total;)
            {
                int n = Math.Min(random.Next(1, 200), total - position);
                await WriteAsync(pair.First, data.AsMemory(position, n), ct);
                position += n;
            }
        }, ct);

        var readRandom = new Random(23);
        byte[] received = new byte[total];
        for (int position = 0; position < total;)
        {
            int want = Math.Min(readRandom.Next(1, 1000), total - position);
            int n = await pair.Second.ReadAsync(received.AsMemory(position, want), ct);
            Assert.True(n > 0, $"Unexpected end of stream after {position} bytes.");
            position += n;
        }

        await writing.WaitAsync(ct);
        Patterns.AssertMatches(received, 0, seed: 5);
    }

    /// <summary>A read with a buffer larger than the available data returns what is there instead of waiting to fill it.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task Read_BufferLargerThanAvailableData_ReturnsWithoutFillingBuffer()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        await WriteAsync(pair.First, Patterns.Create(10, seed: 6), ct);
        byte[] big = new byte[1 * MiB];
        int total = 0;
        while (total < 10)
        {
            int n = await pair.Second.ReadAsync(big.AsMemory(total), ct).AsTask().WaitAsync(ct);
            Assert.True(n > 0, "Unexpected end of stream.");
            total += n;
        }

        Assert.Equal(10, total);
        Patterns.AssertMatches(big.AsSpan(0, 10), 0, seed: 6);
    }

    /// <summary><c>WriteByte</c>/<c>ReadByte</c> carry single bytes.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task WriteByte_ThenReadByte_RoundTrips()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        await Task.Run(() =>
        {
            pair.First.WriteByte(0xA5);
            pair.First.WriteByte(0x00);
            if (FlushRequiredToWriteData)
            {
                pair.First.Flush();
            }
        }, ct).WaitAsync(ct);
        Assert.Equal(0xA5, await Task.Run(pair.Second.ReadByte, ct).WaitAsync(ct));
        Assert.Equal(0x00, await Task.Run(pair.Second.ReadByte, ct).WaitAsync(ct));
    }

    /// <summary>A zero-byte <c>ReadAsync</c> waits for data, completes with 0 when some arrives, and consumes none of it.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.ZeroByteReadWaits)]
    public async Task ZeroByteReadAsync_NoDataYet_WaitsForDataWithoutConsumingIt()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        Task<int> zeroRead = pair.Second.ReadAsync(Memory<byte>.Empty, ct).AsTask();
        await Task.Delay(BlockedProofDelay, ct);
        Assert.False(zeroRead.IsCompleted, "A zero-byte read completed before any data was sent.");

        await WriteAsync(pair.First, new byte[] { 42, 43 }, ct);
        Assert.Equal(0, await zeroRead.WaitAsync(ct));
        byte[] received = new byte[2];
        await pair.Second.ReadExactlyAsync(received, ct);
        Assert.Equal(new byte[] { 42, 43 }, received);
    }

    /// <summary>Zero-byte writes through every API send nothing and do not signal end of stream.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task ZeroByteWrite_AnyApi_IsNoOp()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        byte[] empty = [];
        foreach (StreamIoApi api in Enum.GetValues<StreamIoApi>())
        {
            await WriteWithApiAsync(pair.First, empty, 0, 0, api, ct);
        }

        byte[] one = new byte[1];
        Task<int> read = pair.Second.ReadAsync(one, ct).AsTask();
        await Task.Delay(BlockedProofDelay, ct);
        Assert.False(read.IsCompleted, "Zero-byte writes made the peer's read complete (end of stream or empty data).");

        await WriteAsync(pair.First, new byte[] { 7 }, ct);
        Assert.Equal(1, await read.WaitAsync(ct));
        Assert.Equal(7, one[0]);
    }

    /// <summary>After a half-close the peer reads the remaining bytes, then end of stream on every later read.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.HalfClose)]
    public async Task CompleteWrites_PeerReads_RemainingDataThenEndOfStreamRepeatedly()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        byte[] data = Patterns.Create(1000, seed: 7);
        await WriteAsync(pair.First, data, ct);
        await CompleteWritesAsync(pair.First).AsTask().WaitAsync(ct);

        byte[] received = new byte[data.Length];
        await pair.Second.ReadExactlyAsync(received, ct);
        Patterns.AssertMatches(received, 0, seed: 7);
        byte[] buffer = new byte[10];
        Assert.Equal(0, await pair.Second.ReadAsync(buffer, ct).AsTask().WaitAsync(ct));
        Assert.Equal(0, await pair.Second.ReadAsync(buffer, ct).AsTask().WaitAsync(ct));
        Assert.Equal(0, await pair.Second.ReadAsync(Memory<byte>.Empty, ct).AsTask().WaitAsync(ct));
        Assert.Equal(0, await Task.Run(() => pair.Second.Read(buffer, 0, buffer.Length), ct).WaitAsync(ct));
        Assert.Equal(-1, await Task.Run(pair.Second.ReadByte, ct).WaitAsync(ct));
    }

    /// <summary>After one side half-closes, the other direction still carries data, and can then be half-closed too.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.HalfClose)]
    public async Task CompleteWrites_OtherDirection_KeepsWorkingUntilClosedToo()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        await CompleteWritesAsync(pair.First).AsTask().WaitAsync(ct);
        Assert.Equal(0, await pair.Second.ReadAsync(new byte[1], ct).AsTask().WaitAsync(ct));

        const int size = 256 * KiB;
        Task<byte[]> sending = Task.Run(() => Patterns.WriteAsync(pair.Second, size, seed: 8, cancellationToken: ct), ct);
        var (length, hash) = await Patterns.ReadAndHashAsync(pair.First, size, cancellationToken: ct);
        Assert.Equal(size, length);
        Assert.Equal(Convert.ToHexString(await sending.WaitAsync(ct)), Convert.ToHexString(hash));

        await CompleteWritesAsync(pair.Second).AsTask().WaitAsync(ct);
        Assert.Equal(0, await pair.First.ReadAsync(new byte[1], ct).AsTask().WaitAsync(ct));
    }

    /// <summary>A write after the half-close throws.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.HalfClose)]
    public async Task CompleteWrites_ThenWrite_Throws()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        await CompleteWritesAsync(pair.First).AsTask().WaitAsync(ct);
        Exception? error = await Record.ExceptionAsync(() => WriteAsync(pair.First, new byte[] { 1 }, ct).WaitAsync(ct));
        Assert.True(
            error is InvalidOperationException or IOException,
            $"Expected InvalidOperationException or IOException, got {error?.GetType().Name ?? "no exception"}.");
    }

    /// <summary>A half-close lets <c>CopyToAsync</c> copy a whole transfer and finish.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.HalfClose)]
    public async Task CopyToAsync_PeerCompletesWrites_CopiesEverything()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        const int size = 1 * MiB + 17;
        Task sending = Task.Run(async () =>
        {
            await Patterns.WriteAsync(pair.First, size, seed: 9, chunkSize: 10_000, cancellationToken: ct);
            await CompleteWritesAsync(pair.First);
        }, ct);
        using var sink = new MemoryStream();
        await pair.Second.CopyToAsync(sink, ct).WaitAsync(ct);
        await sending.WaitAsync(ct);
        Assert.Equal(size, sink.Length);
        Patterns.AssertMatches(sink.GetBuffer().AsSpan(0, size), 0, seed: 9);
    }

    /// <summary>Disposing one end ends the peer's pending read with end of stream or an <see cref="IOException"/>, never a hang.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task Dispose_PeerReadPending_CompletesWithEndOfStreamOrIOException()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        Task<int> pendingRead = pair.Second.ReadAsync(new byte[10], ct).AsTask();
        await Task.Delay(BlockedProofDelay, ct);
        await pair.First.DisposeAsync();
        try
        {
            Assert.Equal(0, await pendingRead.WaitAsync(ct));
        }
        catch (IOException)
        {
            // Also allowed: the peer may report the close as an error.
        }
    }

    /// <summary>After dispose, every operation throws <see cref="ObjectDisposedException"/> and <c>CanRead</c>/<c>CanWrite</c> are false.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task Dispose_ThenReadOrWrite_ThrowsObjectDisposed()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        Stream s = pair.First;
        await s.DisposeAsync();
        Assert.False(s.CanRead);
        Assert.False(s.CanWrite);
        byte[] buffer = new byte[10];
        Assert.Throws<ObjectDisposedException>(() => s.Read(buffer, 0, 1));
        Assert.Throws<ObjectDisposedException>(() => s.Write(buffer, 0, 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => s.ReadAsync(buffer, ct).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.WriteAsync(buffer, ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => s.ReadAsync(buffer, 0, 1, ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => s.WriteAsync(buffer, 0, 1, ct));
    }

    /// <summary>Dispose and DisposeAsync may be called repeatedly.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task Dispose_Repeated_DoesNotThrow()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        pair.First.Dispose();
        pair.First.Dispose();
        await pair.First.DisposeAsync();
        await pair.Second.DisposeAsync();
        pair.Second.Dispose();
    }

    /// <summary>Cancelling a pending read throws <see cref="OperationCanceledException"/>; the stream then still delivers every byte.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task ReadAsync_CanceledWhilePending_ThrowsAndStreamStaysUsable()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        using var readCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        byte[] buffer = new byte[100];
        Task<int> pendingRead = pair.Second.ReadAsync(buffer, readCancel.Token).AsTask();
        await Task.Delay(BlockedProofDelay, ct);
        Assert.False(pendingRead.IsCompleted, "A read with nothing to read completed.");
        await readCancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pendingRead.WaitAsync(ct));

        if (UsableAfterCanceledRead)
        {
            byte[] data = Patterns.Create(100, seed: 10);
            await WriteAsync(pair.First, data, ct);
            await pair.Second.ReadExactlyAsync(buffer, ct);
            Patterns.AssertMatches(buffer, 0, seed: 10);
        }
    }

    /// <summary>A read with an already-cancelled token throws without consuming available data.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task ReadAsync_AlreadyCanceledToken_ThrowsWithoutConsuming()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        byte[] data = Patterns.Create(10, seed: 11);
        await WriteAsync(pair.First, data, ct);
        byte[] buffer = new byte[10];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.Second.ReadAsync(buffer, new CancellationToken(canceled: true)).AsTask());
        await pair.Second.ReadExactlyAsync(buffer, ct);
        Patterns.AssertMatches(buffer, 0, seed: 11);
    }

    /// <summary>A write with an already-cancelled token throws and sends nothing.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task WriteAsync_AlreadyCanceledToken_ThrowsAndSendsNothing()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pair.First.WriteAsync(new byte[] { 0xEE }, new CancellationToken(canceled: true)));
        byte[] data = Patterns.Create(10, seed: 12);
        await WriteAsync(pair.First, data, ct);
        byte[] buffer = new byte[10];
        await pair.Second.ReadExactlyAsync(buffer, ct);
        Patterns.AssertMatches(buffer, 0, seed: 12);
    }

    /// <summary>An abort makes the peer's pending read throw <see cref="IOException"/>.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.Abort)]
    public async Task Abort_PeerReadPending_ThrowsIOException()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        Task<int> pendingRead = pair.Second.ReadAsync(new byte[10], ct).AsTask();
        await Task.Delay(BlockedProofDelay, ct);
        await AbortAsync(pair.First).AsTask().WaitAsync(ct);
        await Assert.ThrowsAnyAsync<IOException>(() => pendingRead.WaitAsync(ct));
    }

    /// <summary>After an abort, the peer's writes fail with <see cref="IOException"/> (at the latest once buffers fill).</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.Abort)]
    public async Task Abort_PeerWrites_EventuallyThrowIOException()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        await AbortAsync(pair.First).AsTask().WaitAsync(ct);
        byte[] chunk = Patterns.Create(64 * KiB, seed: 13);
        Exception? error = await Record.ExceptionAsync(() => Task.Run(async () =>
        {
            for (long written = 0; written <= BackPressureProbeBytes; written += chunk.Length)
            {
                await WriteAsync(pair.Second, chunk, ct);
            }
        }, ct).WaitAsync(ct));
        Assert.True(error is IOException, $"Expected IOException, got {error?.ToString() ?? "no exception"}.");
    }

    /// <summary>A synchronous read with nothing to read times out after about <c>ReadTimeout</c>; the stream stays usable.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.Timeouts)]
    public async Task ReadTimeout_NothingToRead_ThrowsInTimeAndStreamStaysUsable()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        Stream s = pair.Second;
        Assert.True(s.CanTimeout);
        int timeout = (int)TimeoutUnderTest.TotalMilliseconds;
        s.ReadTimeout = timeout;
        Assert.Equal(timeout, s.ReadTimeout);
        byte[] buffer = new byte[10];
        var watch = Stopwatch.StartNew();
        Exception? error = await Record.ExceptionAsync(() => Task.Run(() => s.Read(buffer, 0, buffer.Length), ct).WaitAsync(ct));
        watch.Stop();
        AssertTimeoutException(error);
        Assert.InRange(watch.Elapsed, TimeoutUnderTest * 0.5, TimeoutUnderTest + TestTimeout.Scaled(TimeSpan.FromSeconds(10)));

        // Still usable: a generous timeout now, so a slow hop (a chaos proxy on a loaded machine) cannot time out the byte in flight.
        s.ReadTimeout = (int)TestTimeout.Scaled(TimeSpan.FromSeconds(30)).TotalMilliseconds;
        await WriteAsync(pair.First, new byte[] { 9 }, ct);
        Assert.Equal(1, await Task.Run(() => s.Read(buffer, 0, 1), ct).WaitAsync(ct));
        Assert.Equal(9, buffer[0]);
    }

    /// <summary>A synchronous write whose peer never reads times out after about <c>WriteTimeout</c>.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.Timeouts | StreamCapability.BackPressure)]
    public async Task WriteTimeout_PeerNeverReads_Throws()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        Stream s = pair.First;
        s.WriteTimeout = (int)TimeoutUnderTest.TotalMilliseconds;
        byte[] chunk = Patterns.Create(64 * KiB, seed: 14);
        Exception? error = await Record.ExceptionAsync(() => Task.Run(() =>
        {
            for (long written = 0; written <= BackPressureProbeBytes; written += chunk.Length)
            {
                s.Write(chunk, 0, chunk.Length);
            }
        }, ct).WaitAsync(ct));
        AssertTimeoutException(error);
    }

    /// <summary>Without timeout support, <c>CanTimeout</c> is false and the timeout properties throw <see cref="InvalidOperationException"/>.</summary>
    /// <returns>The test.</returns>
    [ConformanceFact(RequiresAbsent = StreamCapability.Timeouts)]
    public async Task Timeouts_NotSupported_CanTimeoutFalseAndPropertiesThrow()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        Assert.False(pair.First.CanTimeout);
        Assert.Throws<InvalidOperationException>(() => pair.First.ReadTimeout);
        Assert.Throws<InvalidOperationException>(() => pair.First.WriteTimeout);
    }

    /// <summary>An open connected stream reads and writes but does not seek; the seek members throw <see cref="NotSupportedException"/>.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task Capabilities_OpenStream_ReadsWritesButDoesNotSeek()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        foreach (Stream s in new[] { pair.First, pair.Second })
        {
            Assert.True(s.CanRead);
            Assert.True(s.CanWrite);
            Assert.False(s.CanSeek);
            Assert.Throws<NotSupportedException>(() => s.Length);
            Assert.Throws<NotSupportedException>(() => s.Position);
            Assert.Throws<NotSupportedException>(() => s.Position = 0);
            Assert.Throws<NotSupportedException>(() => s.Seek(0, SeekOrigin.Begin));
            Assert.Throws<NotSupportedException>(() => s.SetLength(0));
        }
    }

    /// <summary>Flushing with nothing written succeeds, sync and async.</summary>
    /// <returns>The test.</returns>
    [Fact]
    public async Task Flush_NothingWritten_Succeeds()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        await Task.Run(pair.First.Flush, ct).WaitAsync(ct);
        await pair.First.FlushAsync(ct).WaitAsync(ct);
    }

    /// <summary>
    /// A writer whose peer does not read blocks (back-pressure) before <see cref="BackPressureProbeBytes"/>;
    /// once the peer drains, the writer finishes and every byte arrives intact.
    /// </summary>
    /// <returns>The test.</returns>
    [ConformanceFact(Requires = StreamCapability.BackPressure)]
    public async Task Write_PeerDoesNotRead_BlocksUntilPeerDrains()
    {
        CancellationToken ct = TestTimeout.Token(TimeoutSeconds);
        await using var pair = await CreatePairAsync(ct);
        long probe = BackPressureProbeBytes;
        long written = 0;
        Task<byte[]> writing = Task.Run(async () =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] chunk = new byte[64 * KiB];
            for (long position = 0; position < probe; position += chunk.Length)
            {
                int n = (int)Math.Min(chunk.Length, probe - position);
                Patterns.Fill(chunk.AsSpan(0, n), position, seed: 15);
                hash.AppendData(chunk, 0, n);
                await WriteAsync(pair.First, chunk.AsMemory(0, n), ct);
                Volatile.Write(ref written, position + n);
            }

            return hash.GetHashAndReset();
        }, ct);

        // Blocked = no progress over one proof delay while the writer has not finished.
        long last = -1;
        while (true)
        {
            await Task.Delay(BlockedProofDelay, ct);
            Assert.False(writing.IsCompleted, $"The writer sent all {probe} bytes although the peer never read: no back-pressure.");
            long now = Volatile.Read(ref written);
            if (now == last)
            {
                break;
            }

            last = now;
        }

        var (length, receivedHash) = await Patterns.ReadAndHashAsync(pair.Second, probe, cancellationToken: ct);
        byte[] sentHash = await writing.WaitAsync(ct);
        Assert.Equal(probe, length);
        Assert.Equal(Convert.ToHexString(sentHash), Convert.ToHexString(receivedHash));
    }

    /// <summary>Writes <paramref name="data"/> with <c>WriteAsync</c>, flushing when <see cref="FlushRequiredToWriteData"/>.</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="data">Bytes to write.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when written (and flushed if needed).</returns>
    protected async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        await stream.WriteAsync(data, cancellationToken);
        if (FlushRequiredToWriteData)
        {
            await stream.FlushAsync(cancellationToken);
        }
    }

    private static void AssertTimeoutException(Exception? error) =>
        Assert.True(
            error is IOException or TimeoutException,
            $"Expected IOException or TimeoutException on timeout, got {error?.ToString() ?? "no exception"}.");

    private static async Task<int> ReadWithApiAsync(Stream stream, byte[] buffer, int offset, int count, StreamIoApi api, CancellationToken cancellationToken) => api switch
    {
        StreamIoApi.SyncArray => await Task.Run(() => stream.Read(buffer, offset, count), cancellationToken).WaitAsync(cancellationToken),
        StreamIoApi.SyncSpan => await Task.Run(() => stream.Read(buffer.AsSpan(offset, count)), cancellationToken).WaitAsync(cancellationToken),
        StreamIoApi.AsyncArray => await stream.ReadAsync(buffer, offset, count, cancellationToken).WaitAsync(cancellationToken),
        StreamIoApi.AsyncMemory => await stream.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask().WaitAsync(cancellationToken),
        StreamIoApi.BeginEnd => await Task.Factory.FromAsync(stream.BeginRead, stream.EndRead, buffer, offset, count, null).WaitAsync(cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(api)),
    };

    private static async Task ReadExactlyWithApiAsync(Stream stream, byte[] buffer, StreamIoApi api, CancellationToken cancellationToken)
    {
        for (int position = 0; position < buffer.Length;)
        {
            int n = await ReadWithApiAsync(stream, buffer, position, buffer.Length - position, api, cancellationToken);
            Assert.True(n > 0, $"Unexpected end of stream after {position} of {buffer.Length} bytes.");
            position += n;
        }
    }

    private async Task WriteWithApiAsync(Stream stream, byte[] buffer, int offset, int count, StreamIoApi api, CancellationToken cancellationToken)
    {
        switch (api)
        {
            case StreamIoApi.SyncArray:
                await Task.Run(() => stream.Write(buffer, offset, count), cancellationToken).WaitAsync(cancellationToken);
                break;
            case StreamIoApi.SyncSpan:
                await Task.Run(() => stream.Write(buffer.AsSpan(offset, count)), cancellationToken).WaitAsync(cancellationToken);
                break;
            case StreamIoApi.AsyncArray:
                await stream.WriteAsync(buffer, offset, count, cancellationToken).WaitAsync(cancellationToken);
                break;
            case StreamIoApi.AsyncMemory:
                await stream.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask().WaitAsync(cancellationToken);
                break;
            case StreamIoApi.BeginEnd:
                await Task.Factory.FromAsync(stream.BeginWrite, stream.EndWrite, buffer, offset, count, null).WaitAsync(cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(api));
        }

        if (FlushRequiredToWriteData)
        {
            await stream.FlushAsync(cancellationToken);
        }
    }

    private async Task<StreamPair> CreatePairAsync(CancellationToken cancellationToken) =>
        await CreateConnectedStreamsAsync(cancellationToken).WaitAsync(cancellationToken);
}
