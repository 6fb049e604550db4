using System.Threading.Channels;
using Weft.Mux.Protocol;

namespace Weft.Mux;

/// <summary>
/// A mux session: many <see cref="MuxStream"/>s over one connection <see cref="Stream"/>, in the yamux dialect
/// (the default) or gomux (<see cref="MuxOptions.Dialect"/>).
/// </summary>
/// <remarks>
/// One read loop and one write loop run per session; both end in one idempotent shutdown. All public
/// members are thread-safe. The session owns the transport and disposes it when it ends. With yamux,
/// streams opened by this side get odd ids when it is the client and even ids when it is the server; with
/// gomux, even ids from 0 for the client and odd ids from 1 for the server.
/// </remarks>
public sealed partial class MuxSession : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly MuxOptions _options;
    private readonly TimeProvider _time;
    private readonly object _streamsLock = new();
    private readonly Dictionary<uint, MuxStream> _streams = [];
    private readonly Channel<MuxStream> _acceptQueue;
    private readonly CancellationTokenSource _abortCts = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _run;
    private uint _nextStreamId;
    private readonly uint _localParity;
    private int _inboundStreams;
    private long _growthReserved;
    private long _rttTicks;
    private volatile bool _localGoAway;
    private volatile bool _remoteGoAway;
    private uint _remoteGoAwayCode;
    private int _shutdown;
    private MuxException? _terminalError;

    /// <summary>Starts a session over <paramref name="transport"/>.</summary>
    /// <param name="transport">The connection; the session owns and disposes it.</param>
    /// <param name="isClient">True for the client role (the dialer), false for the server; decides the stream id parity.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    public MuxSession(Stream transport, bool isClient, MuxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = (options ?? new MuxOptions()).ValidatedCopy();
        if (_options.Dialect.Kind == MuxDialectKind.Gomux)
        {
            // Accept WindowUpdates over 65 536: gomux itself emits them (a Read over 64 KiB) and they are harmless credit.
            _gomux = new GomuxFrameCodec(_options.Dialect.GomuxKey) { AcceptOversizedWindowUpdates = true };
        }

        _time = _options.TimeProvider;
        IsClient = isClient;
        _nextStreamId = _gomux is null
            ? (isClient ? 1u : 2u)
            : (isClient ? GomuxConstants.FirstClientStreamId : GomuxConstants.FirstServerStreamId);
        _localParity = _nextStreamId & 1;
        _rttTicks = _options.InitialRttEstimate.Ticks;
        _acceptQueue = Channel.CreateBounded<MuxStream>(new BoundedChannelOptions(_options.AcceptBacklog)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
        _outBuffer = new byte[InitialOutBufferSize];
        _outSpare = new byte[InitialOutBufferSize];
        _run = RunAsync();
    }

    /// <summary>Starts a client-role session (yamux: odd stream ids; gomux: even from 0).</summary>
    /// <param name="transport">The connection; the session owns it.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The running session.</returns>
    public static MuxSession CreateClient(Stream transport, MuxOptions? options = null) => new(transport, isClient: true, options);

    /// <summary>Starts a server-role session (yamux: even stream ids; gomux: odd from 1).</summary>
    /// <param name="transport">The connection; the session owns it.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The running session.</returns>
    public static MuxSession CreateServer(Stream transport, MuxOptions? options = null) => new(transport, isClient: false, options);

    /// <summary>True for the client role.</summary>
    public bool IsClient { get; }

    /// <summary>Completes (never faults) when the session has ended and the transport is disposed; see <see cref="TerminationException"/>.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the session ended, once it has; null while it runs.</summary>
    public MuxException? TerminationException => Volatile.Read(ref _terminalError);

    /// <summary>The latest round-trip time measured by a ping, or the initial estimate before any.</summary>
    public TimeSpan RoundTripTime => TimeSpan.FromTicks(Interlocked.Read(ref _rttTicks));

    /// <summary>Number of streams currently tracked (open, half-closed or closing).</summary>
    public int StreamCount
    {
        get
        {
            lock (_streamsLock)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Bytes of payload sent on all streams.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Bytes of payload received on all streams.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    internal MuxOptions Options => _options;

    /// <summary>
    /// Receive segments shared by this session's streams. Keeps up to 256 free (16 MiB, one stream's largest
    /// window), so bursts into grown windows reuse memory instead of allocating; the session lets it all go.
    /// </summary>
    internal Internal.SegmentPool Segments { get; } = new(256);

    internal TimeProvider Time => _time;

    internal bool IsShutDown => Volatile.Read(ref _shutdown) != 0;

    /// <summary>Opens a new stream. Data may be written at once (neither dialect needs a round trip to open).</summary>
    /// <param name="cancellationToken">Cancels waiting for room in the outgoing buffer.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="MuxException">The session is closed, the peer sent GoAway, or ids ran out.</exception>
    public async ValueTask<MuxStream> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        await WaitForOutgoingSpaceAsync(cancellationToken).ConfigureAwait(false);
        MuxStream stream;
        lock (_streamsLock)
        {
            ThrowIfCannotOpen();
            if (_nextStreamId > uint.MaxValue - 2)
            {
                // Ids ran out: say so to the peer once, and refuse from now on.
                _localGoAway = true;
                if (_gomux is null)
                {
                    EnqueueControl(new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)YamuxGoAwayCode.Normal), isReply: false);
                }

                throw new MuxException(MuxError.LocalGoAway, "stream ids are exhausted; the session sent GoAway and opens no more streams");
            }

            uint id = _nextStreamId;
            _nextStreamId += 2;
            stream = new MuxStream(this, id, isLocal: true);
            _streams.Add(id, stream);
        }

        // WindowUpdate with SYN opens the stream, as Go yamux does; delta 0 keeps the spec's initial window.
        EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn, stream.Id, 0), isReply: false);
        return stream;
    }

    /// <summary>Waits for the next stream opened by the peer.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The stream, already acknowledged to the peer.</returns>
    /// <exception cref="MuxException">The session ended.</exception>
    public async ValueTask<MuxStream> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        MuxStream stream;
        try
        {
            stream = await _acceptQueue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw SessionError();
        }

        stream.Accept();
        return stream;
    }

    /// <summary>Sends a Ping and waits for its answer.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The measured round-trip time.</returns>
    /// <exception cref="MuxException">The session ended first.</exception>
    /// <exception cref="NotSupportedException">The session speaks gomux, which has no ping.</exception>
    public async ValueTask<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        if (_gomux is not null)
        {
            throw new NotSupportedException("The gomux dialect has no ping frame (its Keepalive gets no answer), so a round trip cannot be measured.");
        }

        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        uint id;
        lock (_pings)
        {
            if (IsShutDown)
            {
                throw SessionError();
            }

            id = ++_nextPingId;
            _pings[id] = pending;
        }

        long start = _time.GetTimestamp();
        try
        {
            EnqueueControl(new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Syn, 0, id), isReply: false);
            await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_pings)
            {
                _pings.Remove(id);
            }
        }

        TimeSpan rtt = _time.GetElapsedTime(start);
        Interlocked.Exchange(ref _rttTicks, Math.Max(rtt.Ticks, 1));
        return rtt;
    }

    /// <summary>
    /// Sends GoAway: the peer should open no more streams, and this side refuses (resets) any it still
    /// opens. Streams already open go on. gomux has no such frame: there the session only refuses
    /// (CloseStream) the streams the peer still opens.
    /// </summary>
    /// <param name="cancellationToken">Unused: the frame is queued at once.</param>
    /// <returns>A completed task once the frame is queued.</returns>
    public ValueTask GoAwayAsync(CancellationToken cancellationToken = default)
    {
        if (!_localGoAway)
        {
            // gomux has no GoAway: the session only refuses new streams from now on.
            _localGoAway = true;
            if (_gomux is not null)
            {
                return ValueTask.CompletedTask;
            }

            EnqueueControl(new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)YamuxGoAwayCode.Normal), isReply: false);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Ends the session: sends GoAway (gomux: CloseMux), flushes what is queued (within <see cref="MuxOptions.CloseFlushTimeout"/>),
    /// closes the connection and fails every stream that is still open.
    /// </summary>
    /// <returns>A task that completes when the session has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        Shutdown(new MuxException(MuxError.SessionClosed, "the mux session was closed locally"), YamuxGoAwayCode.Normal);
        await _completion.Task.ConfigureAwait(false);
    }

    /// <summary>Test hook: makes the next locally opened stream use <paramref name="id"/>.</summary>
    internal void SetNextStreamIdForTesting(uint id)
    {
        lock (_streamsLock)
        {
            _nextStreamId = id;
        }
    }

    internal MuxException SessionError()
    {
        MuxException? error = Volatile.Read(ref _terminalError);
        return error is null
            ? new MuxException(MuxError.SessionClosed, "the mux session is closed")
            : new MuxException(error.Error, error.Message, error) { GoAwayCode = error.GoAwayCode };
    }

    private void ThrowIfCannotOpen()
    {
        if (IsShutDown)
        {
            throw SessionError();
        }

        if (_remoteGoAway)
        {
            throw new MuxException(MuxError.RemoteGoAway, $"the peer sent GoAway (code {_remoteGoAwayCode}) and accepts no new streams") { GoAwayCode = _remoteGoAwayCode };
        }

        if (_localGoAway)
        {
            throw new MuxException(MuxError.LocalGoAway, "this session sent GoAway and opens no new streams");
        }
    }

    /// <summary>Reserves window growth from the session budget; returns what was granted.</summary>
    internal uint ReserveGrowth(uint wanted)
    {
        while (true)
        {
            long reserved = Interlocked.Read(ref _growthReserved);
            long granted = Math.Min(wanted, _options.SessionReceiveBudget - reserved);
            if (granted <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _growthReserved, reserved + granted, reserved) == reserved)
            {
                return (uint)granted;
            }
        }
    }

    internal void ReleaseGrowth(uint amount)
    {
        if (amount > 0)
        {
            Interlocked.Add(ref _growthReserved, -amount);
        }
    }

    internal void RemoveStream(MuxStream stream)
    {
        lock (_streamsLock)
        {
            if (_streams.TryGetValue(stream.Id, out MuxStream? current) && ReferenceEquals(current, stream))
            {
                _streams.Remove(stream.Id);
                if (!stream.IsLocallyInitiated)
                {
                    _inboundStreams--;
                }
            }
        }
    }

    /// <summary>The one place the session ends. Idempotent.</summary>
    private void Shutdown(MuxException reason, YamuxGoAwayCode? goAway)
    {
        if (Interlocked.CompareExchange(ref _terminalError, reason, null) is not null)
        {
            return;
        }

        Volatile.Write(ref _shutdown, 1);

        // The GoAway and the end of sending are one step, so nothing can follow the GoAway on the wire.
        CloseOutgoing(goAway is { } code ? new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, (uint)code) : null);
        _abortCts.CancelAfter(_options.CloseFlushTimeout);

        // Streams already queued stay acceptable: their buffered bytes are still read, then the error.
        _acceptQueue.Writer.TryComplete();

        MuxStream[] streams;
        lock (_streamsLock)
        {
            streams = [.. _streams.Values];
            _streams.Clear();
        }

        foreach (MuxStream stream in streams)
        {
            stream.OnSessionClosed(reason);
        }

        lock (_pings)
        {
            foreach (TaskCompletionSource ping in _pings.Values)
            {
                ping.TrySetException(SessionError());
            }

            _pings.Clear();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await Task.Yield();
            Task reader = _gomux is null ? ReadLoopAsync() : ReadGomuxLoopAsync();
            Task writer = WriteLoopAsync();
            Task keepAlive = _options.KeepAliveInterval == Timeout.InfiniteTimeSpan ? Task.CompletedTask : KeepAliveLoopAsync();

            // The write loop ends only after shutdown, once what was queued is flushed (or the flush timed out).
            await writer.ConfigureAwait(false);
            try
            {
                await _transport.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The connection is going away regardless; nothing useful to report.
            }

            await _abortCts.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(reader, keepAlive).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A loop failed in a way it did not handle: still end the session, never leave Completion pending.
            Shutdown(new MuxException(MuxError.ConnectionLost, $"the session failed internally: {e.Message}", e), YamuxGoAwayCode.InternalError);
            try
            {
                await _transport.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already failing; the original error is what matters.
            }
        }
        finally
        {
            _gomux?.Dispose();
            Segments.Release();
            _completion.TrySetResult();
        }
    }
}
