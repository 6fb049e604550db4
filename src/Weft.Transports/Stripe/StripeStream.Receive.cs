namespace Weft.Transports.Stripe;

public sealed partial class StripeStream
{
    // Receiving side, all guarded by _lock. Offsets are positions in the peer's byte stream.
    private readonly SortedDictionary<long, StripeChunk> _reorder = [];
    private readonly Queue<StripeChunk> _ready = new();
    private int _readyHead;
    private long _readyBytes;
    private long _reorderBytes;
    private long _contiguous;
    private long _consumed;
    private long _maxReceivedEnd;
    private long _advertisedLimit;
    private long _peerFin = -1;
    private TaskCompletionSource? _readWaiter;

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        byte[] temporary = new byte[buffer.Length];
        int n = ReadAsync(temporary).AsTask().GetAwaiter().GetResult();
        temporary.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Reads the next in-order bytes; waits until some are available. Returns 0 only at end of stream (the
    /// peer half-closed and every byte before its Fin was read). A zero-length read waits for data without
    /// consuming it. Cancelling a pending read loses nothing.
    /// </summary>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes read, or 0 at end of stream.</returns>
    /// <exception cref="StripeException">The bundle failed (after every byte received in order was read).</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_readyBytes > 0)
                {
                    return buffer.IsEmpty ? 0 : ReadReadyLocked(buffer.Span);
                }

                if (_peerFin >= 0 && _contiguous >= _peerFin)
                {
                    return 0;
                }

                if (_failure is not null)
                {
                    throw Copy(_failure);
                }

                _readWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _readWaiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            ThrowIfDisposed();
        }
    }

    private int ReadReadyLocked(Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length && _ready.TryPeek(out StripeChunk? chunk))
        {
            int n = Math.Min(chunk.Length - _readyHead, destination.Length - total);
            chunk.Span.Slice(_readyHead, n).CopyTo(destination[total..]);
            total += n;
            _readyHead += n;
            if (_readyHead == chunk.Length)
            {
                _ready.Dequeue();
                chunk.Release();
                _readyHead = 0;
            }
        }

        _readyBytes -= total;
        _consumed += total;

        // Window update once a quarter of the window was freed since the last advertised limit.
        if (_consumed + _options.ReceiveWindowBytes - _advertisedLimit >= _options.ReceiveWindowBytes / 4)
        {
            StripeLeg? leg = null;
            foreach (StripeLeg candidate in _legs)
            {
                if (candidate.Alive && (leg is null || candidate.InFlight < leg.InFlight))
                {
                    leg = candidate;
                }
            }

            if (leg is not null)
            {
                leg.AckPending = true;
                leg.Signal();
            }
        }

        return total;
    }

    /// <summary>A Data frame arrived on <paramref name="leg"/>.</summary>
    private void OnDataLocked(StripeLeg leg, long offset, ReadOnlySpan<byte> payload)
    {
        long end = offset + payload.Length;
        long limit = _consumed + _options.ReceiveWindowBytes;
        if (end > limit)
        {
            throw new StripeProtocolException($"a chunk at offset {offset} of {payload.Length} bytes ends beyond the receive window (limit {limit})");
        }

        if (_peerFin >= 0 && end > _peerFin)
        {
            throw new StripeProtocolException($"a chunk ends at {end}, after the end of stream at {_peerFin}");
        }

        leg.ReceivedPayload += payload.Length;
        _maxReceivedEnd = Math.Max(_maxReceivedEnd, end);
        if (end <= _contiguous)
        {
            return; // A resend of bytes already in order: drop it.
        }

        if (offset < _contiguous)
        {
            throw new StripeProtocolException($"a chunk at offset {offset} overlaps bytes already received up to {_contiguous}");
        }

        if (_reorder.TryGetValue(offset, out StripeChunk? existing))
        {
            if (existing.Length != payload.Length)
            {
                throw new StripeProtocolException($"two chunks at offset {offset} have different lengths ({existing.Length} and {payload.Length})");
            }

            return; // A resend of a chunk already buffered.
        }

        if (_readyBytes + _reorderBytes + payload.Length > _options.ReceiveWindowBytes)
        {
            throw new StripeProtocolException($"buffered chunks would exceed the receive window of {_options.ReceiveWindowBytes} bytes");
        }

        var chunk = new StripeChunk(offset, payload.Length);
        payload.CopyTo(chunk.Span);
        if (offset != _contiguous)
        {
            _reorder.Add(offset, chunk);
            _reorderBytes += chunk.Length;
            return;
        }

        Deliver(chunk);
        while (_reorder.Remove(_contiguous, out StripeChunk? next))
        {
            _reorderBytes -= next.Length;
            Deliver(next);
        }

        if (_reorder.Count > 0 && _reorder.First().Key < _contiguous)
        {
            throw new StripeProtocolException($"a buffered chunk at offset {_reorder.First().Key} overlaps bytes received up to {_contiguous}");
        }

        WakeReaderLocked();
    }

    private void Deliver(StripeChunk chunk)
    {
        _ready.Enqueue(chunk);
        _readyBytes += chunk.Length;
        _contiguous = chunk.End;
    }

    /// <summary>A Fin frame arrived: the peer's stream ends at <paramref name="finalOffset"/>.</summary>
    private void OnFinLocked(long finalOffset)
    {
        if (_peerFin >= 0 && _peerFin != finalOffset)
        {
            throw new StripeProtocolException($"two different ends of stream ({_peerFin} and {finalOffset})");
        }

        if (finalOffset < _maxReceivedEnd)
        {
            throw new StripeProtocolException($"end of stream at {finalOffset} is before bytes already received (up to {_maxReceivedEnd})");
        }

        _peerFin = finalOffset;
        WakeReaderLocked();
    }

    private void WakeReaderLocked()
    {
        TaskCompletionSource? waiter = _readWaiter;
        _readWaiter = null;
        waiter?.TrySetResult();
    }

    private static StripeException Copy(StripeException failure) => new(failure.Error, failure.Message, failure.InnerException);
}
