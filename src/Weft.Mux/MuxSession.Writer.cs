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
    private TaskCompletionSource? _outSpaceWaiters;
    private long _bytesSent;

    /// <summary>
    /// Queues one Data frame (header and payload, atomically) if the outgoing buffer has room; never waits.
    /// Called under the stream's lock so that a stream's frames keep their order (data before FIN).
    /// </summary>
    /// <returns>False when the buffer is full: wait with <see cref="WaitForOutgoingSpaceAsync"/> and retry.</returns>
    /// <exception cref="MuxException">The session no longer sends.</exception>
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

            AppendFrame(new YamuxHeader(YamuxFrameType.Data, flags, streamId, (uint)payload.Length), payload);
        }

        Interlocked.Add(ref _bytesSent, payload.Length);
        return true;
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

    /// <summary>Appends under <see cref="_outLock"/> and wakes the write loop.</summary>
    private void AppendFrame(in YamuxHeader header, ReadOnlySpan<byte> payload)
    {
        int size = YamuxConstants.HeaderSize + payload.Length;
        if (_outBuffer.Length - _outLength < size)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_outBuffer.Length * 2, _outLength + size));
            _outBuffer.AsSpan(0, _outLength).CopyTo(bigger);
            ReturnBuffer(_outBuffer);
            _outBuffer = bigger;
        }

        Span<byte> span = _outBuffer.AsSpan(_outLength, size);
        YamuxCodec.WriteHeader(span, header);
        payload.CopyTo(span[YamuxConstants.HeaderSize..]);
        _outLength += size;
        _outSignal.Set();
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

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                byte[] batch;
                int length;
                ValueTask wait = default;
                bool mustWait = false;
                TaskCompletionSource? waiters = null;
                lock (_outLock)
                {
                    if (_outLength == 0)
                    {
                        if (_outClosed)
                        {
                            return;
                        }

                        wait = _outSignal.WaitAsync(default);
                        mustWait = true;
                        batch = null!;
                        length = 0;
                    }
                    else
                    {
                        // Swap buffers: writers fill the spare while this batch goes out.
                        batch = _outBuffer;
                        length = _outLength;
                        _outBuffer = _outSpare ?? new byte[InitialOutBufferSize];
                        _outSpare = null;
                        _outLength = 0;
                        _pendingReplies = 0;
                        waiters = _outSpaceWaiters;
                        _outSpaceWaiters = null;
                    }
                }

                if (mustWait)
                {
                    await wait.ConfigureAwait(false);
                    continue;
                }

                waiters?.TrySetResult();

                // The token only fires once the session is shutting down and the flush has run out of time.
                await _transport.WriteAsync(batch.AsMemory(0, length), _abortCts.Token).ConfigureAwait(false);
                await _transport.FlushAsync(_abortCts.Token).ConfigureAwait(false);

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

    private static void ReturnBuffer(byte[] buffer)
    {
        // Buffers of the initial size were allocated, not rented; the pool accepts both.
        if (buffer.Length != InitialOutBufferSize)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
