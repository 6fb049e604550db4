using Weft.Mux.Protocol;

namespace Weft.Mux;

public sealed partial class MuxStream
{
    private int _writeInProgress;

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnterWrite();
        using CancellationTokenSource? timeout = StartTimeout(_writeTimeout, default);
        try
        {
            while (true)
            {
                ValueTask windowWait = default;
                Task? spaceWait = null;
                lock (_sync)
                {
                    WriteStep step = TryWriteLocked(ref buffer);
                    _session.WakeWriter();
                    switch (step)
                    {
                        case WriteStep.Done:
                            return;
                        case WriteStep.WaitForWindow:
                            windowWait = _writeSignal.WaitAsync(timeout?.Token ?? default);
                            break;
                        case WriteStep.WaitForSpace:
                            spaceWait = _session.WaitForOutgoingSpaceAsync(timeout?.Token ?? default);
                            break;
                    }
                }

                if (spaceWait is not null)
                {
                    spaceWait.GetAwaiter().GetResult();
                }
                else
                {
                    windowWait.AsTask().GetAwaiter().GetResult();
                }
            }
        }
        catch (OperationCanceledException) when (timeout is not null)
        {
            throw TimeoutError("write", _writeTimeout);
        }
        finally
        {
            Volatile.Write(ref _writeInProgress, 0);
        }
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        try
        {
            EnterWrite();
        }
        catch (InvalidOperationException e)
        {
            return ValueTask.FromException(e);
        }

        bool handedOff = false;
        try
        {
            lock (_sync)
            {
                ReadOnlySpan<byte> span = buffer.Span;
                WriteStep step = TryWriteLocked(ref span);
                if (step == WriteStep.Done)
                {
                    goto queued;
                }

                // Part of it may be queued already: let the write loop send that while this write waits.
                _session.WakeWriter();
                buffer = buffer[^span.Length..];
            }

            handedOff = true;
            return WriteSlowAsync(buffer, cancellationToken);
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
        finally
        {
            if (!handedOff)
            {
                Volatile.Write(ref _writeInProgress, 0);
            }
        }

    queued:
        // Everything is queued; send it from this thread if the connection is free (outside the stream lock).
        return _session.FlushInlineAsync();
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSlowAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        using CancellationTokenSource? timeout = StartTimeout(_writeTimeout, cancellationToken);
        CancellationToken token = timeout?.Token ?? cancellationToken;
        try
        {
            while (true)
            {
                ValueTask windowWait = default;
                Task? spaceWait = null;
                lock (_sync)
                {
                    ReadOnlySpan<byte> span = buffer.Span;
                    WriteStep step = TryWriteLocked(ref span);
                    buffer = buffer[^span.Length..];
                    if (step == WriteStep.Done)
                    {
                        break;
                    }

                    _session.WakeWriter();
                    if (step == WriteStep.WaitForWindow)
                    {
                        windowWait = _writeSignal.WaitAsync(token);
                    }
                    else
                    {
                        spaceWait = _session.WaitForOutgoingSpaceAsync(token);
                    }
                }

                if (spaceWait is not null)
                {
                    await spaceWait.ConfigureAwait(false);
                }
                else
                {
                    await windowWait.ConfigureAwait(false);
                }
            }

            await _session.FlushInlineAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout is not null && !cancellationToken.IsCancellationRequested)
        {
            throw TimeoutError("write", _writeTimeout);
        }
        finally
        {
            Volatile.Write(ref _writeInProgress, 0);
        }
    }

    private void EnterWrite()
    {
        if (Interlocked.Exchange(ref _writeInProgress, 1) != 0)
        {
            throw new InvalidOperationException("Another write is already in progress on this stream; concurrent writes are not supported.");
        }
    }

    /// <summary>
    /// Queues as much of <paramref name="data"/> as the send window and the outgoing buffer allow, in frames
    /// of at most <see cref="MuxOptions.MaxDataFrameSize"/>, advancing it past what was queued. Runs under
    /// the stream's lock, so a FIN can never overtake this stream's data.
    /// </summary>
    private WriteStep TryWriteLocked(ref ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_localFin)
        {
            throw new InvalidOperationException($"Writes on stream {Id} were completed (FIN sent); no more data can be written.");
        }

        if (_remoteReset || _localReset || _sessionError is not null || _peerStoppedReading)
        {
            throw WriteError();
        }

        int maxFrame = _session.Options.MaxDataFrameSize;
        while (!data.IsEmpty)
        {
            if (_sendWindow == 0)
            {
                return WriteStep.WaitForWindow;
            }

            int count = (int)Math.Min(Math.Min(data.Length, _sendWindow), maxFrame);
            if (!_session.TryEnqueueData(Id, YamuxFlags.None, data[..count]))
            {
                return WriteStep.WaitForSpace;
            }

            _sendWindow -= count;
            data = data[count..];
        }

        return WriteStep.Done;
    }

    private enum WriteStep
    {
        Done,
        WaitForWindow,
        WaitForSpace,
    }
}
