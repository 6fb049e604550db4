using System.Buffers;
using Weft.Mux.Internal;
using Weft.Mux.Protocol;

namespace Weft.Mux;

public sealed partial class MuxSession
{
    private const int InitialOutBufferSize = 64 * 1024;

    private readonly object _outLock = new();
    private readonly AsyncSignal _outSignal = new();
    private byte[] _outBuffer;
    private byte[]? _outSpare;
    private int _outLength;
    private int _pendingReplies;
    private bool _outClosed;
    private bool _writing;
    private TaskCompletionSource? _outSpaceWaiters;
    private long _bytesSent;
    private long _batchesSent;

    /// <summary>
    /// Queues one Data frame (header and payload, atomically) if the outgoing buffer has room; never waits.
    /// Called under the stream's lock so that a stream's frames keep their order (data before FIN).
    /// </summary>
    /// <returns>False when the buffer is full: wait with <see cref="WaitForOutgoingSpaceAsync"/> and retry.</returns>
    /// <exception cref="MuxException">The session no longer sends.</exception>
    /// <remarks>
    /// Does not wake the write loop: the caller either sends the batch itself (<see cref="FlushInlineAsync"/>)
    /// or calls <see cref="WakeWriter"/>. Whoever finishes a write wakes the loop if more is queued.
    /// </remarks>
    internal bool TryEnqueueData(uint streamId, YamuxFlags flags, ReadOnlySpan<byte> payload)
    {
        lock (_outLock)
        {
            if (_outClosed)
            {
                throw SessionError();
            }

            if (_outLength >= _options.MaxOutgoingBufferSize)
            {
                return false;
            }

            AppendFrame(new YamuxHeader(YamuxFrameType.Data, flags, streamId, (uint)payload.Length), payload, wake: false);
        }

        Interlocked.Add(ref _bytesSent, payload.Length);
        return true;
    }

    /// <summary>Wakes the write loop to send what is queued (for writers that do not send it themselves).</summary>
    internal void WakeWriter()
    {
        lock (_outLock)
        {
            if (_outLength > 0)
            {
                _outSignal.Set();
            }
        }
    }

    /// <summary>Waits until the outgoing buffer is below its bound (back-pressure from the connection).</summary>
    internal Task WaitForOutgoingSpaceAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_outLock)
        {
            if (_outClosed || _outLength < _options.MaxOutgoingBufferSize)
            {
                return Task.CompletedTask;
            }

            _outSpaceWaiters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _outSpaceWaiters.Task;
        }

        return wait.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Queues a frame without payload, never waiting. Replies (frames the peer's frames oblige) are counted:
    /// a peer that makes more than <see cref="MuxOptions.MaxPendingReplies"/> of them wait unsent is cut off.
    /// </summary>
    /// <returns>False when the session no longer sends.</returns>
    internal bool EnqueueControl(in YamuxHeader header, bool isReply)
    {
        bool flood;
        lock (_outLock)
        {
            if (_outClosed)
            {
                return false;
            }

            AppendFrame(header, default);
            flood = isReply && ++_pendingReplies > _options.MaxPendingReplies;
        }

        if (flood)
        {
            Shutdown(new MuxException(MuxError.ReplyFlood, $"the peer sent more than {_options.MaxPendingReplies} frames needing a reply while not reading ours"), goAway: null);
            return false;
        }

        return true;
    }

    /// <summary>Appends under <see cref="_outLock"/> and, unless told not to, wakes the write loop.</summary>
    private void AppendFrame(in YamuxHeader header, ReadOnlySpan<byte> payload, bool wake = true)
    {
        if (_gomux is null)
        {
            int size = YamuxConstants.HeaderSize + payload.Length;
            EnsureOutCapacity(size);
            Span<byte> span = _outBuffer.AsSpan(_outLength, size);
            YamuxCodec.WriteHeader(span, header);
            payload.CopyTo(span[YamuxConstants.HeaderSize..]);
            _outLength += size;
        }
        else
        {
            // The dialect seam: the same intent, sealed as gomux frames (MuxSession.Gomux.cs).
            EnsureOutCapacity(GomuxSize(header, payload.Length));
            _outLength += SealGomux(_outBuffer.AsSpan(_outLength), header, payload);
        }

        if (wake)
        {
            _outSignal.Set();
        }
    }

    /// <summary>Makes room for <paramref name="size"/> more bytes in the outgoing buffer (under <see cref="_outLock"/>).</summary>
    private void EnsureOutCapacity(int size)
    {
        if (_outBuffer.Length - _outLength < size)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_outBuffer.Length * 2, _outLength + size));
            _outBuffer.AsSpan(0, _outLength).CopyTo(bigger);
            ReturnBuffer(_outBuffer);
            _outBuffer = bigger;
        }
    }

    /// <summary>Queues <paramref name="lastFrame"/> and stops accepting frames; the write loop flushes what is queued and ends.</summary>
    private void CloseOutgoing(YamuxHeader? lastFrame)
    {
        TaskCompletionSource? waiters;
        lock (_outLock)
        {
            if (lastFrame is { } frame && !_outClosed)
            {
                AppendFrame(frame, default);
            }

            _outClosed = true;
            waiters = _outSpaceWaiters;
            _outSpaceWaiters = null;
            _outSignal.Set();
        }

        waiters?.TrySetResult();
    }

    /// <summary>
    /// Sends what is queued from the calling thread when nobody else is writing to the connection: an
    /// application write then costs no hand-off to the write loop (one thread hop fewer per message).
    /// Only application threads call this, never the read loop, which must not wait on the connection.
    /// </summary>
    internal ValueTask FlushInlineAsync()
    {
        byte[] batch;
        int length;
        TaskCompletionSource? waiters;
        lock (_outLock)
        {
            if (!TryBeginWriteLocked(out batch, out length, out waiters))
            {
                return ValueTask.CompletedTask;
            }
        }

        waiters?.TrySetResult();
        return WriteBatchInlineAsync(batch, length);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteBatchInlineAsync(byte[] batch, int length)
    {
        try
        {
            await WriteBatchAsync(batch, length).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (!IsShutDown)
            {
                Shutdown(new MuxException(MuxError.ConnectionLost, $"writing to the connection failed: {e.Message}", e), goAway: null);
            }

            throw SessionError();
        }
        finally
        {
            EndWrite(batch);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                byte[] batch;
                int length;
                ValueTask wait = default;
                TaskCompletionSource? waiters;
                lock (_outLock)
                {
                    if (!TryBeginWriteLocked(out batch, out length, out waiters))
                    {
                        // Nothing queued, or an application thread is sending it (it signals when done).
                        if (_outClosed && _outLength == 0 && !_writing)
                        {
                            return;
                        }

                        wait = _outSignal.WaitAsync(default);
                    }
                }

                if (batch is null)
                {
                    await wait.ConfigureAwait(false);
                    continue;
                }

                waiters?.TrySetResult();
                try
                {
                    await WriteBatchAsync(batch, length).ConfigureAwait(false);
                }
                finally
                {
                    EndWrite(batch);
                }
            }
        }
        catch (Exception e)
        {
            if (!IsShutDown)
            {
                Shutdown(new MuxException(MuxError.ConnectionLost, $"writing to the connection failed: {e.Message}", e), goAway: null);
            }
        }
    }

    /// <summary>Takes the queued bytes for sending if nobody is writing; swaps in the spare buffer for new frames.</summary>
    private bool TryBeginWriteLocked(out byte[] batch, out int length, out TaskCompletionSource? waiters)
    {
        if (_writing || _outLength == 0)
        {
            batch = null!;
            length = 0;
            waiters = null;
            return false;
        }

        _writing = true;
        _batchesSent++;
        batch = _outBuffer;
        length = _outLength;
        _outBuffer = _outSpare ?? new byte[InitialOutBufferSize];
        _outSpare = null;
        _outLength = 0;
        _pendingReplies = 0;
        waiters = _outSpaceWaiters;
        _outSpaceWaiters = null;
        return true;
    }

    private Task WriteBatchAsync(byte[] batch, int length)
    {
        // The token only fires once the session is shutting down and the flush has run out of time; a
        // caller's token never reaches here, so a frame is never torn (STYLE rule 7).
        ValueTask write = _transport.WriteAsync(batch.AsMemory(0, length), _abortCts.Token);
        return write.IsCompletedSuccessfully ? _transport.FlushAsync(_abortCts.Token) : WriteThenFlushAsync(write);
    }

    private async Task WriteThenFlushAsync(ValueTask write)
    {
        await write.ConfigureAwait(false);
        await _transport.FlushAsync(_abortCts.Token).ConfigureAwait(false);
    }

    /// <summary>Gives the batch buffer back as the spare and wakes the write loop if more is queued or the session is closing.</summary>
    private void EndWrite(byte[] batch)
    {
        lock (_outLock)
        {
            if (_outSpare is null && batch.Length <= 4 * _options.MaxOutgoingBufferSize)
            {
                _outSpare = batch;
            }
            else
            {
                ReturnBuffer(batch);
            }

            _writing = false;
            if (_outLength > 0 || _outClosed)
            {
                _outSignal.Set();
            }
        }
    }

    private static void ReturnBuffer(byte[] buffer)
    {
        // Buffers of the initial size were allocated, not rented; the pool accepts both.
        if (buffer.Length != InitialOutBufferSize)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
