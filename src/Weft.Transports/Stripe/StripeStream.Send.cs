namespace Weft.Transports.Stripe;

public sealed partial class StripeStream
{
    // Sending side, all guarded by _lock.
    private readonly PriorityQueue<StripeChunk, long> _retransmit = new();
    private long _nextOffset;
    private long _peerLimit;
    private long _retainedBytes;
    private bool _writesCompleted;
    private bool _finAcked;
    private TaskCompletionSource? _writeWaiter;

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => WriteAsync(buffer.ToArray()).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Queues <paramref name="buffer"/> on the legs in chunks; waits while the peer's window, the send
    /// buffer or every leg is full (back-pressure). Returns once every byte is queued (copied).
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="cancellationToken">Cancels waiting for room; chunks already queued are still sent whole.</param>
    /// <returns>A task that completes when the bytes are queued.</returns>
    /// <exception cref="InvalidOperationException">Writes were completed (half-close).</exception>
    /// <exception cref="StripeException">The bundle failed.</exception>
    /// <exception cref="ObjectDisposedException">The stream was disposed.</exception>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        int position = 0;
        do
        {
            Task wait;
            lock (_lock)
            {
                ThrowIfCannotWriteLocked();
                if (position == buffer.Length)
                {
                    return;
                }

                int length = (int)Math.Min(Math.Min(_options.ChunkBytes, buffer.Length - position), _peerLimit - _nextOffset);
                if (length > 0 && _retransmit.Count == 0 && _retainedBytes + length <= _options.SendBufferBytes && PickLegLocked(length) is { } leg)
                {
                    var chunk = new StripeChunk(_nextOffset, length);
                    buffer.Span.Slice(position, length).CopyTo(chunk.Span);
                    _nextOffset += length;
                    _retainedBytes += length;
                    AssignLocked(leg, chunk);
                    position += length;
                    continue;
                }

                _writeWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _writeWaiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            ThrowIfDisposed();
        }
        while (true);
    }

    /// <summary>
    /// Half-close: after the bytes already written, the peer reads end of stream; reading goes on. A write
    /// afterwards throws <see cref="InvalidOperationException"/>. Idempotent.
    /// </summary>
    /// <param name="cancellationToken">Fails the call if already cancelled.</param>
    /// <returns>A task that completes when the end of stream is queued on every leg.</returns>
    /// <exception cref="StripeException">The bundle failed.</exception>
    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ThrowIfDisposed();
        lock (_lock)
        {
            if (_writesCompleted)
            {
                return ValueTask.CompletedTask;
            }

            if (_failure is not null)
            {
                return ValueTask.FromException(Copy(_failure));
            }

            CompleteWritesLocked();
        }

        return ValueTask.CompletedTask;
    }

    private void CompleteWritesLocked()
    {
        _writesCompleted = true;

        // The Fin goes on every live leg: it names its offset, so any copy will do and one surviving leg is enough.
        foreach (StripeLeg leg in _legs)
        {
            if (leg.Alive)
            {
                leg.FinPending = true;
                leg.Signal();
            }
        }
    }

    private void ThrowIfCannotWriteLocked()
    {
        if (_writesCompleted)
        {
            throw new InvalidOperationException("Writes on this stripe stream were completed (half-close); nothing more can be written.");
        }

        if (_failure is not null)
        {
            throw Copy(_failure);
        }
    }

    /// <summary>
    /// The leg that should deliver a chunk of <paramref name="length"/> bytes soonest: among live legs whose
    /// unsent + unacknowledged bytes leave room under their limit, the least queued data for the leg's
    /// measured rate plus half its round trip. Null when every leg is full.
    /// </summary>
    private StripeLeg? PickLegLocked(int length)
    {
        double fastest = 0;
        foreach (StripeLeg leg in _legs)
        {
            if (leg.Alive)
            {
                fastest = Math.Max(fastest, leg.Bandwidth);
            }
        }

        StripeLeg? best = null;
        double bestScore = double.MaxValue;
        foreach (StripeLeg leg in _legs)
        {
            if (!leg.Alive)
            {
                continue;
            }

            long inFlight = leg.InFlight;
            if (inFlight > 0 && inFlight + length > LegWindowLocked(leg))
            {
                continue;
            }

            // Unmeasured legs are assumed as fast as the fastest: they get probed, and with no measurement at all
            // the choice is simply the least queued bytes.
            double rate = leg.Bandwidth > 0 ? leg.Bandwidth : fastest > 0 ? fastest : 1e9;
            double score = ((inFlight + length) / rate) + (leg.MinRtt / 2);
            if (score < bestScore)
            {
                best = leg;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>The per-leg limit on unsent + unacknowledged bytes: gain × rate × minimum round trip, clamped.</summary>
    private long LegWindowLocked(StripeLeg leg)
    {
        if (leg.Bandwidth <= 0 || leg.MinRtt <= 0)
        {
            return _options.MinLegWindowBytes;
        }

        double window = _options.LegWindowGain * leg.Bandwidth * leg.MinRtt;
        return (long)Math.Clamp(window, _options.MinLegWindowBytes, _options.MaxLegWindowBytes);
    }

    private static void AssignLocked(StripeLeg leg, StripeChunk chunk)
    {
        leg.Unsent.Enqueue(chunk);
        leg.UnsentBytes += chunk.Length;
        leg.Signal();
    }

    /// <summary>Puts chunks of dead legs on live ones, oldest first, as far as the legs have room.</summary>
    private void PumpRetransmitsLocked()
    {
        while (_retransmit.TryPeek(out StripeChunk? chunk, out _))
        {
            StripeLeg? leg = PickLegLocked(chunk.Length);
            if (leg is null)
            {
                return;
            }

            _retransmit.Dequeue();
            Interlocked.Add(ref leg.ResentBytes, chunk.Length);
            AssignLocked(leg, chunk);
        }
    }

    /// <summary>An Ack arrived on <paramref name="leg"/>.</summary>
    private void OnAckLocked(StripeLeg leg, long legReceived, long windowLimit, bool finReceived)
    {
        if (legReceived > leg.SentPayload)
        {
            throw new StripeProtocolException($"an ack on leg {leg.Index} covers {legReceived} bytes, but only {leg.SentPayload} were sent on it");
        }

        if (legReceived < leg.AckedPayload)
        {
            throw new StripeProtocolException($"an ack on leg {leg.Index} went backwards ({legReceived} after {leg.AckedPayload})");
        }

        if (finReceived && !_writesCompleted)
        {
            throw new StripeProtocolException("the peer acknowledged an end of stream that was never sent");
        }

        long now = _time.GetTimestamp();
        leg.AckedPayload = legReceived;
        StripeChunk? last = null;
        while (leg.Unacked.TryPeek(out StripeChunk? chunk) && chunk.LegEnd <= legReceived)
        {
            leg.Unacked.Dequeue();
            leg.UnackedBytes -= chunk.Length;
            _retainedBytes -= chunk.Length;
            last?.Release();
            last = chunk;
        }

        if (last is not null)
        {
            Sample(leg, last, legReceived, now);
            last.Release();
        }

        _peerLimit = Math.Max(_peerLimit, windowLimit);
        _finAcked |= finReceived;
        PumpRetransmitsLocked();
        WakeWriterLocked();
    }

    /// <summary>Round-trip and delivery-rate samples from the newest chunk an Ack covered (windowed min and max).</summary>
    private void Sample(StripeLeg leg, StripeChunk chunk, long legReceived, long now)
    {
        double rtt = _time.GetElapsedTime(chunk.SentTimestamp, now).TotalSeconds;
        if (rtt <= 0)
        {
            return;
        }

        if (leg.MinRtt <= 0 || rtt <= leg.MinRtt || _time.GetElapsedTime(leg.MinRttStamp, now) > TimeSpan.FromSeconds(5))
        {
            leg.MinRtt = rtt;
            leg.MinRttStamp = now;
        }

        double rate = (legReceived - chunk.AckedAtSend) / rtt;
        if (rate >= leg.Bandwidth)
        {
            leg.Bandwidth = rate;
            leg.BandwidthStamp = now;
        }
        else if (_time.GetElapsedTime(leg.BandwidthStamp, now) > TimeSpan.FromSeconds(1))
        {
            // The maximum ages out slowly so that a leg whose cap dropped is noticed.
            leg.Bandwidth = Math.Max(rate, leg.Bandwidth * 0.75);
            leg.BandwidthStamp = now;
        }
    }

    private void WakeWriterLocked()
    {
        TaskCompletionSource? waiter = _writeWaiter;
        _writeWaiter = null;
        waiter?.TrySetResult();
    }
}
