using System.Buffers;
using Weft.Mux.Internal;
using Weft.Mux.Protocol;

namespace Weft.Mux;

/// <summary>
/// One bidirectional stream of a <see cref="MuxSession"/>, in the shape of the BCL's QuicStream.
/// </summary>
/// <remarks>
/// Concurrency: one read and one write may run at the same time (from different threads); two concurrent
/// reads, or two concurrent writes, throw <see cref="InvalidOperationException"/>. <see cref="CompleteWrites"/>,
/// <see cref="Abort"/> and disposal may be called from any thread at any time.
/// Writes complete once the data is queued for the connection (subject to the stream's send window and
/// the session's outgoing buffer), so back-pressure reaches the writer. <see cref="ReadTimeout"/> and
/// <see cref="WriteTimeout"/> apply to synchronous and asynchronous calls alike; a timed-out call throws
/// <see cref="MuxException"/> with <see cref="MuxError.Timeout"/> and the stream stays usable.
/// </remarks>
public sealed partial class MuxStream : Stream
{
    private readonly MuxSession _session;
    private readonly object _sync = new();
    private readonly ReceiveBuffer _received;
    private readonly AsyncSignal _readSignal = new();
    private readonly AsyncSignal _writeSignal = new();
    private ReceiveWindow _window;
    private long _sendWindow;
    private long _lastUpdateTimestamp;
    private uint _growth;
    private bool _acked;
    private bool _remoteFin;
    private bool _eofDelivered;
    private bool _localFin;
    private bool _remoteReset;
    private bool _localReset;
    private bool _readsAborted;
    private bool _disposed;
    private bool _removed;
    private bool _peerStoppedReading;
    private bool _peerClosedStream;
    private MuxException? _sessionError;
    private ITimer? _closeTimer;
    private TaskCompletionSource? _readsClosed;
    private TaskCompletionSource? _writesClosed;
    private Memory<byte> _pendingRead;
    private bool _hasPendingRead;
    private int _pendingReadCount;
    private int _readTimeout = Timeout.Infinite;
    private int _writeTimeout = Timeout.Infinite;

    internal MuxStream(MuxSession session, uint id, bool isLocal)
    {
        _session = session;
        _received = new ReceiveBuffer(session.Segments);
        Id = id;
        IsLocallyInitiated = isLocal;
        uint window = session.IsGomux ? GomuxConstants.InitialWindow : (uint)YamuxConstants.InitialStreamWindow;
        _window = new ReceiveWindow(window);
        _sendWindow = window;

        // gomux has no acknowledgement: a stream is as good as accepted once OpenStream is sent.
        _acked = !isLocal || session.IsGomux;
        _lastUpdateTimestamp = session.Time.GetTimestamp();
    }

    /// <summary>The stream id (yamux or gomux, as the session's dialect numbers them).</summary>
    public uint Id { get; }

    /// <summary>True when this side opened the stream.</summary>
    public bool IsLocallyInitiated { get; }

    /// <summary>
    /// Completes when the read side is finished: the peer's FIN was read as end of stream. Faults when reads
    /// end any other way (reset, abort, session failure).
    /// </summary>
    public Task ReadsClosed
    {
        get
        {
            lock (_sync)
            {
                return (_readsClosed ??= NewCompletion(ReadSideFinalLocked())).Task;
            }
        }
    }

    /// <summary>
    /// Completes when the write side is finished with a FIN (<see cref="CompleteWrites"/> or disposal). Faults
    /// when writes end any other way (reset, abort, session failure).
    /// </summary>
    public Task WritesClosed
    {
        get
        {
            lock (_sync)
            {
                return (_writesClosed ??= NewCompletion(WriteSideFinalLocked())).Task;
            }
        }
    }

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanWrite => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanTimeout => true;

    /// <summary>Milliseconds a read may wait for data, or <see cref="Timeout.Infinite"/> (the default).</summary>
    public override int ReadTimeout
    {
        get => _readTimeout;
        set => _readTimeout = ValidateTimeout(value);
    }

    /// <summary>Milliseconds a write may wait for window or buffer room, or <see cref="Timeout.Infinite"/> (the default).</summary>
    public override int WriteTimeout
    {
        get => _writeTimeout;
        set => _writeTimeout = ValidateTimeout(value);
    }

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException("A mux stream has no length.");

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException("A mux stream cannot seek.");
        set => throw new NotSupportedException("A mux stream cannot seek.");
    }

    /// <summary>Bytes the peer may still send on this stream (its remaining receive credit).</summary>
    internal uint ReceiveCredit
    {
        get
        {
            lock (_sync)
            {
                return _window.Credit;
            }
        }
    }

    /// <summary>Test hook: a read is waiting for data (its wait is armed).</summary>
    internal bool IsReadWaiting => _readSignal.IsArmed;

    /// <summary>Test hook: a write is waiting for send window (its wait is armed).</summary>
    internal bool IsWriteWaitingForWindow => _writeSignal.IsArmed;

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A mux stream cannot seek.");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("A mux stream has no length.");

    /// <summary>Does nothing: written data is already queued for the connection, which the session flushes.</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    /// <summary>Does nothing: written data is already queued for the connection, which the session flushes.</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>A completed task.</returns>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Half-closes the stream: sends FIN after the data already written (gomux: this is its CloseWrite, sent as
    /// the receiver-named CloseRead frame). The peer reads end of stream; this side can still read. Idempotent;
    /// does nothing after an abort or reset.
    /// </summary>
    public void CompleteWrites()
    {
        bool remove;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!SendFinLocked())
            {
                return;
            }

            remove = IsFinishedLocked();
        }

        if (remove)
        {
            Remove();
        }
    }

    /// <summary>
    /// Aborts the stream. <see cref="MuxAbortDirection.Read"/> discards incoming data from now on (yamux
    /// cannot tell the peer, so its data is still credited back; gomux sends its CloseRead, after which the
    /// peer's writes fail); any direction that includes <see cref="MuxAbortDirection.Write"/> resets the stream
    /// (RST; gomux: CloseStream, which the peer cannot tell from a close), ending both directions.
    /// Pending operations fail with <see cref="MuxError.StreamAborted"/>.
    /// </summary>
    /// <param name="direction">What to abort.</param>
    public void Abort(MuxAbortDirection direction = MuxAbortDirection.Both)
    {
        bool remove = false;
        uint credit = 0;
        lock (_sync)
        {
            if (_remoteReset || _localReset || _sessionError is not null)
            {
                return;
            }

            if ((direction & MuxAbortDirection.Write) != 0)
            {
                _localReset = true;
                _received.Clear();
                _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, Id, 0), isReply: false);
                CompleteSidesLocked(new MuxException(MuxError.StreamAborted, $"stream {Id} was aborted locally"));
                remove = true;
            }
            else if (!_readsAborted)
            {
                _readsAborted = true;
                if (_session.IsGomux)
                {
                    // gomux can tell the peer: a local CloseRead sends CloseWrite, and the peer's writes then fail.
                    _session.EnqueueGomuxReadClose(Id);
                }

                credit = (uint)_received.Length;
                _received.Clear();
                credit = TakeDiscardCreditLocked(credit);
                FailReadsLocked(new MuxException(MuxError.StreamAborted, $"reads on stream {Id} were aborted locally"));
            }

            _readSignal.Set();
            _writeSignal.Set();
        }

        SendWindowUpdate(credit);
        if (remove)
        {
            Remove();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"MuxStream({Id})";

    /// <summary>
    /// Closes the stream: FIN when everything received was read, RST when unread data is thrown away (as
    /// TCP does), so the peer never mistakes lost data for a clean end. The stream is forgotten once the
    /// peer's FIN arrives, or reset after <see cref="MuxOptions.StreamCloseTimeout"/>. gomux: sends CloseStream
    /// (nothing if the peer closed the stream first) and forgets the stream at once, as gomux's Close does.
    /// </summary>
    /// <param name="disposing">True from Dispose.</param>
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            base.Dispose(disposing);
            return;
        }

        bool remove = false;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_session.IsGomux)
            {
                // gomux: Close sends CloseStream unless the peer closed the stream first, and forgets the
                // stream at once (frames that still arrive for it are ignored, as gomux does).
                if (!_peerClosedStream && !_remoteReset && !_localReset && _sessionError is null)
                {
                    _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, Id, 0), isReply: false);
                    if (!_localFin)
                    {
                        _localFin = true;
                        _writesClosed?.TrySetResult();
                    }
                }
            }
            else if (!_remoteReset && !_localReset && _sessionError is null)
            {
                if (_received.Length > 0 && !_readsAborted)
                {
                    _localReset = true;
                    _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, Id, 0), isReply: false);
                }
                else
                {
                    SendFinLocked();
                }
            }

            _received.Clear();
            _hasPendingRead = false;
            if (_readsClosed is not null || _writesClosed is not null)
            {
                // Only build the exception when someone can observe it: a normal close allocates nothing here.
                CompleteSidesLocked(new MuxException(MuxError.StreamAborted, $"stream {Id} was disposed", new ObjectDisposedException(GetType().FullName)));
            }

            _readSignal.Set();
            _writeSignal.Set();

            if (IsFinishedLocked() || _session.IsGomux)
            {
                remove = true;
            }
            else if (!_removed)
            {
                _closeTimer = _session.Time.CreateTimer(static state => ((MuxStream)state!).OnCloseTimeout(), this, _session.Options.StreamCloseTimeout, Timeout.InfiniteTimeSpan);
            }
        }

        if (remove)
        {
            Remove();
        }

        base.Dispose(disposing);
    }

    /// <summary>Acknowledges a stream taken from the accept queue.</summary>
    internal void Accept()
    {
        if (_session.IsGomux)
        {
            // gomux has no acknowledgement frame.
            return;
        }

        lock (_sync)
        {
            if (_remoteReset || _sessionError is not null)
            {
                return;
            }

            _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Ack, Id, 0), isReply: false);
        }
    }

    /// <summary>
    /// Handles a frame for this stream; called by the read loop only. Wake-ups go through <see cref="MuxSession.Wake"/>,
    /// which may defer them to the end of the read loop's current buffer (all under this stream's lock, after the
    /// state changed, so a deferred or dropped wake-up loses nothing).
    /// </summary>
    internal void OnFrame(in YamuxHeader header, in System.Buffers.ReadOnlySequence<byte> payload)
    {
        bool remove = false;
        uint discardCredit = 0;
        lock (_sync)
        {
            if (header.Has(YamuxFlags.Ack))
            {
                _acked = true;
            }

            if (header.Type == YamuxFrameType.WindowUpdate && header.Length > 0)
            {
                _sendWindow += header.Length;
                _session.Wake(_writeSignal);
            }

            if (header.Type == YamuxFrameType.Data && header.Length > 0)
            {
                if (!_window.TryReceive(header.Length))
                {
                    throw new MuxProtocolException($"data frame of {header.Length} bytes on stream {Id} exceeds its receive window");
                }

                if (_localReset || _remoteReset)
                {
                    // Frames racing our reset: nothing to do.
                }
                else if (_disposed && _session.IsGomux)
                {
                    // Racing our CloseStream: gomux ignores frames for a closed stream, and so do we.
                }
                else if (_disposed)
                {
                    // Data for a stream the application closed: reset it, as TCP does.
                    _localReset = true;
                    _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, Id, 0), isReply: true);
                    remove = true;
                }
                else if (_readsAborted)
                {
                    discardCredit = TakeDiscardCreditLocked(header.Length);
                }
                else
                {
                    DeliverLocked(payload);
                    _session.Wake(_readSignal);
                }
            }

            if (header.Has(YamuxFlags.Rst))
            {
                _remoteReset = true;
                _hasPendingRead = false;
                _received.Clear();
                MuxException error = IsLocallyInitiated && !_acked
                    ? new MuxException(MuxError.StreamRefused, $"the peer refused stream {Id}")
                    : new MuxException(MuxError.StreamReset, $"the peer reset stream {Id}");
                CompleteSidesLocked(error);
                _session.Wake(_readSignal);
                _session.Wake(_writeSignal);
                remove = true;
            }
            else if (header.Has(YamuxFlags.Fin) && !_remoteFin)
            {
                _remoteFin = true;
                _session.Wake(_readSignal);
                if (_received.Length == 0 && _readsAborted)
                {
                    _eofDelivered = true;
                }

                remove |= IsFinishedLocked();
            }
        }

        if (discardCredit > 0)
        {
            _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, Id, discardCredit), isReply: true);
        }

        if (remove)
        {
            Remove();
        }
    }

    /// <summary>
    /// gomux: the peer stopped reading (its CloseRead, our flag CloseWrite) or closed the whole stream (CloseStream).
    /// Writes fail from now on; after CloseStream reads end once what arrived is read, and the stream is forgotten
    /// (Dispose then sends nothing, as gomux's Close does). Called by the read loop only.
    /// </summary>
    internal void OnPeerClosed(bool wholeStream)
    {
        bool remove = false;
        lock (_sync)
        {
            if (_remoteReset || _localReset || _sessionError is not null || _peerClosedStream)
            {
                return;
            }

            _peerStoppedReading = true;
            if (!_localFin)
            {
                _writesClosed?.TrySetException(WriteError());
            }

            _writeSignal.Set();
            if (wholeStream)
            {
                _peerClosedStream = true;
                if (!_remoteFin)
                {
                    _remoteFin = true;
                    if (_received.Length == 0 && _readsAborted)
                    {
                        _eofDelivered = true;
                    }
                }

                _readSignal.Set();
                remove = true;
            }
        }

        if (remove)
        {
            Remove();
        }
    }

    /// <summary>
    /// Hands received bytes to the reader: straight into the buffer of a read that is waiting (one copy
    /// fewer), the rest into the receive buffer.
    /// </summary>
    private void DeliverLocked(in System.Buffers.ReadOnlySequence<byte> payload)
    {
        if (_hasPendingRead && _received.Length == 0)
        {
            Span<byte> target = _pendingRead.Span[_pendingReadCount..];
            int n = (int)Math.Min(target.Length, payload.Length);
            payload.Slice(0, n).CopyTo(target);
            _pendingReadCount += n;
            if (_pendingReadCount == _pendingRead.Length)
            {
                _hasPendingRead = false;
            }

            if (n < payload.Length)
            {
                _received.Append(payload.Slice(n));
            }

            return;
        }

        _received.Append(payload);
    }

    /// <summary>The session ended: pending and future operations fail, after buffered data is read.</summary>
    internal void OnSessionClosed(MuxException reason)
    {
        lock (_sync)
        {
            _sessionError ??= reason;
            _removed = true;
            _closeTimer?.Dispose();
            CompleteSidesLocked(reason);
            _readSignal.Set();
            _writeSignal.Set();
        }

        _session.ReleaseGrowth(Interlocked.Exchange(ref _growth, 0));
    }

    private void OnCloseTimeout()
    {
        bool remove = false;
        lock (_sync)
        {
            if (!_removed && !_remoteReset && !_localReset && _sessionError is null)
            {
                _localReset = true;
                _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, Id, 0), isReply: false);
                remove = true;
            }
        }

        if (remove)
        {
            Remove();
        }
    }

    /// <summary>Sends FIN if the write side is still open; returns whether it did.</summary>
    private bool SendFinLocked()
    {
        if (_localFin || _localReset || _remoteReset || _sessionError is not null)
        {
            return false;
        }

        _localFin = true;
        _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Fin, Id, 0), isReply: false);
        _writesClosed?.TrySetResult();
        _writeSignal.Set();
        return true;
    }

    /// <summary>Both directions are finished on the wire, so the session can forget the stream.</summary>
    /// <remarks>gomux forgets a stream only on Close or the peer's CloseStream, never on two half-closes.</remarks>
    private bool IsFinishedLocked() => _localReset || _remoteReset || (_session.IsGomux ? _peerClosedStream : _localFin && _remoteFin);

    private void Remove()
    {
        lock (_sync)
        {
            if (_removed)
            {
                return;
            }

            _removed = true;
            _closeTimer?.Dispose();
        }

        _session.RemoveStream(this);
        _session.ReleaseGrowth(Interlocked.Exchange(ref _growth, 0));
    }

    private void CompleteSidesLocked(MuxException error)
    {
        FailReadsLocked(error);
        if (!_localFin)
        {
            _writesClosed?.TrySetException(error);
        }
    }

    private void FailReadsLocked(MuxException error)
    {
        if (!_eofDelivered)
        {
            _readsClosed?.TrySetException(error);
        }
    }

    private Exception? ReadSideFinalLocked() =>
        _eofDelivered ? null
        : _remoteReset || _localReset || _readsAborted || _disposed || _sessionError is not null ? ReadError()
        : Pending;

    private Exception? WriteSideFinalLocked() =>
        _localFin ? null
        : _remoteReset || _localReset || _disposed || _sessionError is not null || _peerStoppedReading ? WriteError()
        : Pending;

    private static readonly Exception Pending = new OperationCanceledException();

    private static TaskCompletionSource NewCompletion(Exception? final)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (final is null)
        {
            completion.TrySetResult();
        }
        else if (!ReferenceEquals(final, Pending))
        {
            completion.TrySetException(final);
        }

        return completion;
    }

    private static int ValidateTimeout(int value)
    {
        if (value <= 0 && value != Timeout.Infinite)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "A timeout is a positive number of milliseconds or Timeout.Infinite.");
        }

        return value;
    }
}
