using System.Buffers;

namespace Weft.Transports.Stripe;

public sealed partial class StripeStream
{
    private const int BatchBytes = 64 * 1024;

    /// <summary>Reads frames from one leg until it ends; peer misbehaviour fails the bundle, a leg error kills the leg.</summary>
    private async Task ReadLoopAsync(StripeLeg leg)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_options.MaxChunkBytes + BatchBytes);
        int filled = 0;
        try
        {
            while (true)
            {
                int n = await leg.Stream.ReadAsync(buffer.AsMemory(filled), _lifetime.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    LegDied(leg, new EndOfStreamException($"leg {leg.Index} was closed by the peer"));
                    return;
                }

                Interlocked.Add(ref leg.BytesReceived, n);
                filled += n;
                int position = 0;
                lock (_lock)
                {
                    if (_failure is not null || !leg.Alive)
                    {
                        return;
                    }

                    bool received = false;
                    while (StripeWire.TryReadFrame(buffer.AsSpan(position, filled - position), _options.MaxChunkBytes, out StripeFrame frame, out int consumed))
                    {
                        ReadOnlySpan<byte> payload = buffer.AsSpan(position + frame.PayloadStart, frame.PayloadLength);
                        position += consumed;
                        switch (frame.Type)
                        {
                            case StripeFrameType.Data:
                                OnDataLocked(leg, (long)frame.Value64, payload);
                                received = true;
                                break;
                            case StripeFrameType.Ack:
                                OnAckLocked(leg, (long)frame.Value64, (long)frame.Limit, (frame.Flags & StripeWire.AckFlagFinReceived) != 0);
                                break;
                            case StripeFrameType.Fin:
                                OnFinLocked((long)frame.Value64);
                                received = true;
                                break;
                            case StripeFrameType.Reset:
                                OnResetLocked((StripeResetCode)frame.Value32);
                                return;
                        }
                    }

                    if (received)
                    {
                        leg.AckPending = true;
                        leg.Signal();
                    }
                }

                Buffer.BlockCopy(buffer, position, buffer, 0, filled - position);
                filled -= position;
            }
        }
        catch (StripeProtocolException ex)
        {
            Fail(new StripeException(StripeError.ProtocolError, $"The stripe peer broke the protocol on leg {leg.Index}: {ex.Message}. The bundle was closed; check that both sides run compatible Weft versions.", ex), StripeResetCode.ProtocolError);
        }
        catch (Exception ex)
        {
            LegDied(leg, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes Acks, chunks and the Fin of one leg in batches; sends a pending Reset and stops when the bundle fails.</summary>
    private async Task WriteLoopAsync(StripeLeg leg)
    {
        byte[] batch = ArrayPool<byte>.Shared.Rent(Math.Max(BatchBytes, StripeWire.HeaderSize + _options.ChunkBytes) + StripeWire.AckSize + (2 * StripeWire.HeaderSize));
        int capacity = batch.Length - StripeWire.AckSize - StripeWire.HeaderSize;
        try
        {
            while (true)
            {
                int length = 0;
                bool stop = false;
                Task? wait = null;
                lock (_lock)
                {
                    if (_failure is not null || !leg.Alive)
                    {
                        if (leg.Alive && leg.ResetPending is { } code)
                        {
                            StripeWire.WriteReset(batch, code);
                            length = StripeWire.HeaderSize;
                        }

                        leg.ResetPending = null;
                        stop = true;
                    }
                    else
                    {
                        if (leg.AckPending)
                        {
                            long limit = _consumed + _options.ReceiveWindowBytes;
                            StripeWire.WriteAck(batch, leg.ReceivedPayload, limit, _peerFin >= 0);
                            length = StripeWire.AckSize;
                            leg.AckPending = false;
                            _advertisedLimit = Math.Max(_advertisedLimit, limit);
                        }

                        long now = _time.GetTimestamp();
                        while (leg.Unsent.TryPeek(out StripeChunk? chunk) && (length + StripeWire.HeaderSize + chunk.Length <= capacity || length == 0))
                        {
                            leg.Unsent.Dequeue();
                            StripeWire.WriteDataHeader(batch.AsSpan(length), chunk.Offset, chunk.Length);
                            chunk.Span.CopyTo(batch.AsSpan(length + StripeWire.HeaderSize));
                            length += StripeWire.HeaderSize + chunk.Length;
                            leg.UnsentBytes -= chunk.Length;
                            leg.SentPayload += chunk.Length;
                            chunk.LegEnd = leg.SentPayload;
                            chunk.SentTimestamp = now;
                            chunk.AckedAtSend = leg.AckedPayload;
                            leg.Unacked.Enqueue(chunk);
                            leg.UnackedBytes += chunk.Length;
                        }

                        if (leg.Unsent.Count == 0 && leg.FinPending)
                        {
                            StripeWire.WriteFin(batch.AsSpan(length), _nextOffset);
                            length += StripeWire.HeaderSize;
                            leg.FinPending = false;
                        }

                        if (length == 0)
                        {
                            leg.WriterWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                            wait = leg.WriterWaiter.Task;
                        }
                    }
                }

                if (length > 0)
                {
                    await leg.Stream.WriteAsync(batch.AsMemory(0, length), _lifetime.Token).ConfigureAwait(false);
                    await leg.Stream.FlushAsync(_lifetime.Token).ConfigureAwait(false);
                    Interlocked.Add(ref leg.BytesSent, length);
                }

                if (stop)
                {
                    return;
                }

                if (wait is not null)
                {
                    await wait.ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            LegDied(leg, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);

            // The writer owns closing its leg: the peer then sees the leg end, and the read loop stops.
            await Quietly.DisposeAsync(leg.Connection).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A leg failed (error, end of stream, stall): its unsent and unacknowledged chunks go back to be
    /// resent on the other legs. When none is left and the transfer is not finished, the bundle fails.
    /// </summary>
    private void LegDied(StripeLeg leg, Exception reason)
    {
        lock (_lock)
        {
            if (!leg.Alive)
            {
                return;
            }

            leg.Alive = false;
            foreach (StripeChunk chunk in leg.Unacked)
            {
                _retransmit.Enqueue(chunk, chunk.Offset);
            }

            foreach (StripeChunk chunk in leg.Unsent)
            {
                _retransmit.Enqueue(chunk, chunk.Offset);
            }

            leg.Unacked.Clear();
            leg.Unsent.Clear();
            leg.UnackedBytes = 0;
            leg.UnsentBytes = 0;
            leg.FinPending = false;
            leg.Signal();
            if (_failure is not null)
            {
                return;
            }

            if (_legs.Any(l => l.Alive))
            {
                PumpRetransmitsLocked();
                WakeWriterLocked();
                StartRedialLocked(leg.Index);
                return;
            }

            bool readsDone = _peerFin >= 0 && _contiguous >= _peerFin;
            bool writesDone = _writesCompleted && _retainedBytes == 0 && _finAcked;
            if (!(readsDone && writesDone))
            {
                FailLocked(
                    new StripeException(StripeError.AllLegsLost, $"Every leg of the stripe bundle ({_legs.Length}) was lost before the transfer finished (the last: {reason.Message}). Reconnect to continue.", reason),
                    null);
            }
        }
    }

    private void OnResetLocked(StripeResetCode code)
    {
        bool readsDone = _peerFin >= 0 && _contiguous >= _peerFin;
        bool writesDone = _writesCompleted && _retainedBytes == 0 && _finAcked;
        StripeException error = code == StripeResetCode.ProtocolError
            ? new StripeException(StripeError.ProtocolError, "The stripe peer reported a protocol error from this side and closed the bundle; check that both sides run compatible Weft versions.")
            : new StripeException(StripeError.PeerReset, readsDone && writesDone ? "The stripe peer closed the bundle." : "The stripe peer closed the bundle before the transfer finished (connection reset).");
        FailLocked(error, null);
    }

    private void Fail(StripeException error, StripeResetCode? reset)
    {
        lock (_lock)
        {
            FailLocked(error, reset);
        }
    }

    /// <summary>Fails the bundle once: pending and later reads (after the in-order bytes) and writes throw; every writer stops, sending <paramref name="reset"/> first if given.</summary>
    private void FailLocked(StripeException error, StripeResetCode? reset)
    {
        if (_failure is not null)
        {
            return;
        }

        _failure = error;
        foreach (StripeLeg leg in _legs)
        {
            leg.ResetPending = reset;
            leg.Signal();
        }

        WakeReaderLocked();
        WakeWriterLocked();
    }

    private void CheckStalledLegs()
    {
        var stalled = new List<StripeLeg>();
        lock (_lock)
        {
            if (_failure is not null)
            {
                return;
            }

            long now = _time.GetTimestamp();
            foreach (StripeLeg leg in _legs)
            {
                if (leg.Alive && leg.Unacked.TryPeek(out StripeChunk? oldest) && _time.GetElapsedTime(oldest.SentTimestamp, now) > _options.LegStallTimeout)
                {
                    stalled.Add(leg);
                }
            }
        }

        foreach (StripeLeg leg in stalled)
        {
            LegDied(leg, new TimeoutException($"leg {leg.Index} acknowledged nothing for {_options.LegStallTimeout.TotalSeconds:0.#} s"));
        }
    }

    /// <summary>After a failure: lets writers flush their reset briefly, then closes every leg, waits for every loop and frees the buffers.</summary>
    private async Task ShutdownAsync()
    {
        if (_stallTimer is not null)
        {
            await _stallTimer.DisposeAsync().ConfigureAwait(false);
        }

        Task writers = Task.WhenAll(_legs.Select(l => l.WriteLoop));
        try
        {
            await writers.WaitAsync(TimeSpan.FromSeconds(1), _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A writer stuck on a leg that does not drain: cancelling below unblocks it.
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        foreach (StripeLeg leg in _legs)
        {
            await Quietly.DisposeAsync(leg.Connection).ConfigureAwait(false);
        }

        StripeLeg[] retired;
        Task[] redials;
        lock (_lock)
        {
            retired = [.. _retired];
            redials = [.. _redials];
        }

        foreach (StripeLeg leg in retired)
        {
            await Quietly.DisposeAsync(leg.Connection).ConfigureAwait(false);
        }

        await Task.WhenAll(_legs.Concat(retired).SelectMany(l => new[] { l.ReadLoop, l.WriteLoop }).Concat(redials)).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (StripeChunk chunk in _ready)
            {
                chunk.Release();
            }

            foreach (StripeChunk chunk in _reorder.Values)
            {
                chunk.Release();
            }

            while (_retransmit.TryDequeue(out StripeChunk? chunk, out _))
            {
                chunk.Release();
            }

            foreach (StripeLeg leg in _legs)
            {
                foreach (StripeChunk chunk in leg.Unsent.Concat(leg.Unacked))
                {
                    chunk.Release();
                }

                leg.Unsent.Clear();
                leg.Unacked.Clear();
                leg.Alive = false;
            }

            _ready.Clear();
            _reorder.Clear();
            _readyBytes = 0;
            _reorderBytes = 0;
        }

        _lifetime.Dispose();
        _onClosed?.Invoke(this);
    }
}
