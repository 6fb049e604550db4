namespace Weft.Transports.Stripe;

/// <summary>
/// One ordered, reliable byte stream carried by several connections (legs) at once: the stream a
/// <c>stripe:N</c> address produces. Written bytes are cut into chunks with stream offsets; each chunk
/// goes out on the leg that should deliver it soonest (least unsent + unacknowledged data for its measured
/// rate), so a slow or capped leg carries less. The receiver puts chunks back in order within a bounded
/// window and acknowledges, per leg, what it received; when a leg dies, its unacknowledged chunks are
/// resent on the others, and duplicates are dropped, so the delivered bytes never have a gap or a repeat.
/// When no leg is left, reads and writes fail with <see cref="StripeException"/>
/// (<see cref="StripeError.AllLegsLost"/>).
/// </summary>
/// <remarks>
/// <para>Concurrency: one read and one write may run at the same time (the <see cref="Stream"/> contract);
/// <see cref="GetLegStatistics"/> and <see cref="Abort"/> may be called from any thread.</para>
/// <para>Half-close: <see cref="CompleteWritesAsync"/> (the peer reads the rest, then end of stream).
/// Dispose half-closes if that was not done, waits up to <see cref="StripeOptions.CloseTimeout"/> for the
/// peer to acknowledge everything, then closes the legs; a peer that was still sending gets a reset.</para>
/// <para>Security: the stripe layer itself neither encrypts nor authenticates; put a secure layer above it
/// (<c>…~stripe:4~shs:KEY</c>), which then authenticates every byte of the bundle. See docs/protocol.md.</para>
/// </remarks>
public sealed partial class StripeStream : Stream, IHalfCloseable, ILegStatisticsSource
{
    private readonly Lock _lock = new();
    private readonly StripeLeg[] _legs;
    private readonly StripeOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<StripeStream>? _onClosed;
    private readonly CancellationTokenSource _lifetime = new();
    private ITimer? _stallTimer;
    private StripeException? _failure;
    private readonly Lazy<Task> _dispose;
    private int _disposed;

    internal StripeStream(
        IReadOnlyList<TransportConnection> legs,
        int peerReceiveWindow,
        StripeOptions options,
        Func<int, CancellationToken, ValueTask<TransportConnection>>? redial,
        Action<StripeStream>? onClosed)
    {
        _options = options;
        _redial = redial;
        _redialing = new bool[legs.Count];
        _time = options.TimeProvider;
        _onClosed = onClosed;
        _legs = [.. legs.Select((c, i) => new StripeLeg(i, c))];
        _peerLimit = peerReceiveWindow;
        _advertisedLimit = options.ReceiveWindowBytes;
        _dispose = new Lazy<Task>(DisposeCoreAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>How many legs the bundle was made with.</summary>
    public int LegCount => _legs.Length;

    /// <summary>How many legs are alive now (a leg that died and was re-dialled counts again once it rejoined).</summary>
    public int AliveLegCount
    {
        get
        {
            lock (_lock)
            {
                return _legs.Count(l => l.Alive);
            }
        }
    }

    /// <inheritdoc/>
    public override bool CanRead => Volatile.Read(ref _disposed) == 0;

    /// <inheritdoc/>
    public override bool CanWrite
    {
        get
        {
            lock (_lock)
            {
                return Volatile.Read(ref _disposed) == 0 && !_writesCompleted && _failure is null;
            }
        }
    }

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>A snapshot of every leg (bytes, queue depth, liveness), in leg order.</summary>
    /// <returns>One entry per leg.</returns>
    public IReadOnlyList<LegStatistics> GetLegStatistics()
    {
        lock (_lock)
        {
            return [.. _legs.Select(l => new LegStatistics(
                l.Index,
                l.Connection.RemoteEndPoint,
                l.Alive,
                Interlocked.Read(ref l.BytesSent),
                Interlocked.Read(ref l.BytesReceived),
                l.UnsentBytes,
                l.UnackedBytes,
                Interlocked.Read(ref l.ResentBytes),
                l.Bandwidth,
                TimeSpan.FromSeconds(l.MinRtt),
                l.Rejoins))];
        }
    }

    /// <summary>
    /// Aborts the bundle at once: the peer is sent a reset (its reads and writes fail with
    /// <see cref="StripeException"/>), unsent data is dropped, and this side's reads and writes fail with
    /// <see cref="StripeError.Aborted"/>. The stream must still be disposed. Idempotent.
    /// </summary>
    public void Abort()
    {
        Fail(new StripeException(StripeError.Aborted, "The stripe bundle was aborted by this side."), StripeResetCode.Closed);
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Flush() => ThrowIfDisposed();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        ThrowIfDisposed();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Half-closes, then waits up to <see cref="StripeOptions.CloseTimeout"/> for the peer to acknowledge
    /// everything written, then closes every leg (sending a reset first if the peer may still be sending).
    /// Idempotent.
    /// </summary>
    /// <returns>A task that completes when the legs are closed.</returns>
    public override async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, 1);
        await _dispose.Value.ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Volatile.Write(ref _disposed, 1);
            _dispose.Value.GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    /// <summary>Starts the read and write loop of every leg and the stall check.</summary>
    internal void Start()
    {
        foreach (StripeLeg leg in _legs)
        {
            leg.ReadLoop = Task.Run(() => ReadLoopAsync(leg));
            leg.WriteLoop = Task.Run(() => WriteLoopAsync(leg));
        }

        TimeSpan period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, Math.Min(TimeSpan.TicksPerSecond, _options.LegStallTimeout.Ticks / 4)));
        _stallTimer = _time.CreateTimer(_ => CheckStalledLegs(), null, period, period);
    }

    private async Task DisposeCoreAsync()
    {
        bool peerMaySend;
        lock (_lock)
        {
            if (_failure is null && !_writesCompleted)
            {
                CompleteWritesLocked();
            }
        }

        // Linger: the peer acknowledges every chunk and the Fin, or the bundle fails, or the time is up.
        if (_options.CloseTimeout > TimeSpan.Zero)
        {
            using var linger = new CancellationTokenSource(_options.CloseTimeout, _time);
            while (true)
            {
                Task wait;
                lock (_lock)
                {
                    if (_failure is not null || (_retainedBytes == 0 && _finAcked))
                    {
                        break;
                    }

                    _writeWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _writeWaiter.Task;
                }

                try
                {
                    await wait.WaitAsync(linger.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        lock (_lock)
        {
            peerMaySend = !(_peerFin >= 0 && _contiguous >= _peerFin);
        }

        // A peer that may still be sending learns at once that nobody reads (like a TCP reset after close).
        Fail(new StripeException(StripeError.Aborted, "The stripe bundle is closed."), peerMaySend ? StripeResetCode.Closed : null);
        await ShutdownAsync().ConfigureAwait(false);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
