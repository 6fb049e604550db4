using System.Buffers;
using Weft.Mux.Protocol;

namespace Weft.Mux;

public sealed partial class MuxStream
{
    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        using CancellationTokenSource? timeout = StartTimeout(_readTimeout, default);
        try
        {
            while (true)
            {
                ValueTask wait;
                int count;
                uint update;
                lock (_sync)
                {
                    if (TryReadLocked(buffer, out count, out update))
                    {
                        goto done;
                    }

                    wait = _readSignal.WaitAsync(timeout?.Token ?? default);
                }

                wait.AsTask().GetAwaiter().GetResult();
                continue;

            done:
                SendWindowUpdate(update);
                return count;
            }
        }
        catch (OperationCanceledException) when (timeout is not null)
        {
            throw TimeoutError("read", _readTimeout);
        }
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        int count;
        uint update;
        try
        {
            lock (_sync)
            {
                if (!TryReadLocked(buffer.Span, out count, out update))
                {
                    return ReadSlowAsync(buffer, cancellationToken);
                }
            }
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }

        SendWindowUpdate(update);
        return new ValueTask<int>(count);
    }

    /// <inheritdoc />
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using CancellationTokenSource? timeout = StartTimeout(_readTimeout, cancellationToken);
        try
        {
            while (true)
            {
                ValueTask wait;
                int count;
                uint update;
                lock (_sync)
                {
                    if (TryTakeDeliveredLocked(out count, out update) || TryReadLocked(buffer.Span, out count, out update))
                    {
                        goto done;
                    }

                    // Let the read loop copy straight into this buffer while we wait.
                    if (!buffer.IsEmpty)
                    {
                        _pendingRead = buffer;
                        _pendingReadCount = 0;
                        _hasPendingRead = true;
                    }

                    wait = _readSignal.WaitAsync(timeout?.Token ?? cancellationToken);
                }

                try
                {
                    await wait.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    lock (_sync)
                    {
                        // Bytes already copied into the caller's buffer must not be lost to the cancellation.
                        if (TryTakeDeliveredLocked(out count, out update))
                        {
                            goto done;
                        }
                    }

                    throw;
                }

                continue;

            done:
                SendWindowUpdate(update);
                return count;
            }
        }
        catch (OperationCanceledException) when (timeout is not null && !cancellationToken.IsCancellationRequested)
        {
            throw TimeoutError("read", _readTimeout);
        }
    }

    /// <summary>gomux: throws when a Data frame of <paramref name="length"/> bytes would overrun this stream's receive window.</summary>
    internal void CheckReceiveCredit(uint length)
    {
        lock (_sync)
        {
            CheckReceiveCreditLocked(length);
        }
    }

    private void CheckReceiveCreditLocked(uint length)
    {
        if (length > _window.Credit)
        {
            throw new MuxProtocolException($"data frame of {length} bytes on stream {Id} exceeds its receive window ({_window.Credit} bytes left)");
        }
    }

    /// <summary>
    /// gomux: authenticates one whole Data frame at the front of <paramref name="frame"/> and decrypts it straight to
    /// where the reader takes it: into the waiting read's buffer when one is waiting, nothing is buffered before it
    /// and the frame fits; otherwise into the receive buffer's last segment. One pass over the bytes, no copy
    /// afterwards. A frame that fails authentication throws before anything is counted or delivered (what the
    /// cipher wrote is not committed, and OpenSSL clears it). Called by the read loop only.
    /// </summary>
    /// <param name="codec">The session's codec.</param>
    /// <param name="frame">The buffered bytes, starting with the whole frame.</param>
    /// <param name="rawHeader">The frame's 36 header bytes.</param>
    /// <param name="length">The payload length (more than 0).</param>
    /// <param name="scratch">Where data nobody will read is opened (reset, closed or read-aborted streams): it is still authenticated.</param>
    internal void OnGomuxData(GomuxFrameCodec codec, in ReadOnlySequence<byte> frame, ReadOnlySpan<byte> rawHeader, int length, Span<byte> scratch)
    {
        uint discardCredit = 0;
        lock (_sync)
        {
            CheckReceiveCreditLocked((uint)length);

            // As OnFrame: frames racing a reset, or for a stream closed here (gomux ignores those), are dropped.
            bool deliver = !_localReset && !_remoteReset && !_disposed && !_readsAborted;
            bool intoRead = deliver && _hasPendingRead && _received.Length == 0 && _pendingRead.Length - _pendingReadCount >= length;
            Span<byte> destination = !deliver ? scratch[..length]
                : intoRead ? _pendingRead.Span.Slice(_pendingReadCount, length)
                : _received.GetAppendSpan(length);
            codec.Open(frame, rawHeader, destination);

            _window.TryReceive((uint)length);
            if (intoRead)
            {
                _pendingReadCount += length;
                if (_pendingReadCount == _pendingRead.Length)
                {
                    _hasPendingRead = false;
                }

                _session.Wake(_readSignal);
            }
            else if (deliver)
            {
                _received.CommitAppend(length);
                _session.Wake(_readSignal);
            }
            else if (_readsAborted && !_localReset && !_remoteReset && !_disposed)
            {
                discardCredit = TakeDiscardCreditLocked((uint)length);
            }
        }

        if (discardCredit > 0)
        {
            _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, Id, discardCredit), isReply: true);
        }
    }

    /// <summary>Takes bytes the read loop copied straight into the waiting read's buffer, if any.</summary>
    private bool TryTakeDeliveredLocked(out int count, out uint update)
    {
        count = _pendingReadCount;
        _hasPendingRead = false;
        _pendingRead = default;
        _pendingReadCount = 0;
        update = count > 0 ? ConsumedLocked((uint)count) : 0;
        return count > 0;
    }

    /// <summary>One attempt to read; false means "wait for a signal and try again".</summary>
    private bool TryReadLocked(Span<byte> destination, out int count, out uint update)
    {
        update = 0;
        count = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_readsAborted)
        {
            throw ReadError();
        }

        if (_received.Length > 0)
        {
            if (!destination.IsEmpty)
            {
                count = _received.Read(destination);
                update = ConsumedLocked((uint)count);
            }

            return true;
        }

        if (_remoteFin)
        {
            _eofDelivered = true;
            _readsClosed?.TrySetResult();
            return true;
        }

        if (_remoteReset || _localReset || _sessionError is not null)
        {
            throw ReadError();
        }

        return false;
    }

    /// <summary>Accounts for consumed bytes; returns the window update to send, if one is due.</summary>
    private uint ConsumedLocked(uint count)
    {
        if (_remoteFin || !_window.Consume(count))
        {
            return 0;
        }

        uint growth = 0;
        MuxOptions options = _session.Options;
        if (options.WindowAutoTuning)
        {
            long now = _session.Time.GetTimestamp();
            TimeSpan since = _session.Time.GetElapsedTime(_lastUpdateTimestamp, now);
            _lastUpdateTimestamp = now;
            uint wanted = ReceiveWindow.DesiredGrowth(_window.Size, (uint)options.MaxStreamWindowSize, since, _session.RoundTripTime);
            if (wanted > 0)
            {
                growth = _session.ReserveGrowth(wanted);
                _growth += growth;
            }
        }

        return _window.TakeUpdate(growth);
    }

    /// <summary>Credit for data that was discarded instead of read (reads aborted).</summary>
    private uint TakeDiscardCreditLocked(uint count) => _window.Consume(count) ? _window.TakeUpdate(0) : 0;

    private void SendWindowUpdate(uint delta)
    {
        if (delta > 0 && _session.IsGomux)
        {
            // gomux: the reader sends its grant itself when the connection is free (no hop to the write loop).
            _session.SendGomuxWindowUpdate(Id, delta);
        }
        else if (delta > 0)
        {
            _session.EnqueueControl(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.None, Id, delta), isReply: false);
        }
    }

    private MuxException ReadError()
    {
        if (_readsAborted)
        {
            return new MuxException(MuxError.StreamAborted, $"reads on stream {Id} were aborted locally");
        }

        return StateError();
    }

    private MuxException WriteError()
    {
        if (_peerStoppedReading && !_remoteReset && !_localReset)
        {
            return _peerClosedStream
                ? new MuxException(MuxError.PeerClosedStream, $"the peer closed stream {Id}; it reads no more, so nothing more can be written")
                : new MuxException(MuxError.PeerClosedStream, $"the peer closed its read side of stream {Id}; it reads no more, so nothing more can be written");
        }

        return StateError();
    }

    private MuxException StateError()
    {
        if (_remoteReset)
        {
            return IsLocallyInitiated && !_acked
                ? new MuxException(MuxError.StreamRefused, $"the peer refused stream {Id} (backlog full or going away)")
                : new MuxException(MuxError.StreamReset, $"the peer reset stream {Id}");
        }

        if (_localReset)
        {
            return new MuxException(MuxError.StreamAborted, $"stream {Id} was reset locally");
        }

        if (_sessionError is not null)
        {
            return new MuxException(_sessionError.Error, $"stream {Id}: {_sessionError.Message}", _sessionError) { GoAwayCode = _sessionError.GoAwayCode };
        }

        return new MuxException(MuxError.StreamAborted, $"stream {Id} is closed");
    }

    private static CancellationTokenSource? StartTimeout(int milliseconds, CancellationToken cancellationToken)
    {
        if (milliseconds == Timeout.Infinite)
        {
            return null;
        }

        CancellationTokenSource source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(milliseconds);
        return source;
    }

    private MuxException TimeoutError(string operation, int milliseconds) =>
        new(MuxError.Timeout, $"{operation} on stream {Id} timed out after {milliseconds} ms");
}
