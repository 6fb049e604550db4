namespace Weft.Transports.Stripe;

public sealed partial class StripeStream
{
    // Re-dialling of dead legs (client) and rejoined legs (both sides), guarded by _lock.
    private readonly Func<int, CancellationToken, ValueTask<TransportConnection>>? _redial;
    private readonly bool[] _redialing;
    private readonly List<Task> _redials = [];
    private readonly List<StripeLeg> _retired = [];
    private string? _lastRedialError;

    /// <summary>Why the last re-dial of a dead leg failed or was refused (client side), or null; for diagnostics.</summary>
    public string? LastRedialError
    {
        get
        {
            lock (_lock)
            {
                return _lastRedialError;
            }
        }
    }

    /// <summary>
    /// Puts a new connection in the slot of leg <paramref name="index"/>: the client after a rejoin it dialled
    /// was accepted, the server after it accepted one. A leg still alive in that slot is declared dead first
    /// (its chunks are resent). Fresh per-leg acknowledgement counters on both sides; the statistics go on.
    /// </summary>
    /// <param name="index">The leg's index.</param>
    /// <param name="connection">The greeted connection; owned by the bundle from now on.</param>
    /// <returns>False when the bundle has failed or is closing (the caller disposes the connection).</returns>
    internal bool TryAttachLeg(int index, TransportConnection connection)
    {
        lock (_lock)
        {
            if (_failure is not null || Volatile.Read(ref _disposed) != 0 || (uint)index >= (uint)_legs.Length)
            {
                return false;
            }

            StripeLeg old = _legs[index];
            var leg = new StripeLeg(index, connection)
            {
                Rejoins = old.Rejoins + 1,
                BytesSent = Interlocked.Read(ref old.BytesSent),
                BytesReceived = Interlocked.Read(ref old.BytesReceived),
                ResentBytes = Interlocked.Read(ref old.ResentBytes),
                FinPending = _writesCompleted,
            };
            _retired.Add(old);
            _legs[index] = leg;
            leg.ReadLoop = Task.Run(() => ReadLoopAsync(leg));
            leg.WriteLoop = Task.Run(() => WriteLoopAsync(leg));

            // The server learns of a dead leg from its client's rejoin if it had not noticed yet; the new leg is
            // already in the slot, so the bundle never counts as having lost every leg here.
            LegDied(old, new IOException($"leg {index} was replaced by a rejoining connection"));
            PumpRetransmitsLocked();
            WakeWriterLocked();
            return true;
        }
    }

    /// <summary>Client: starts re-dialling the dead leg <paramref name="index"/> unless that is off, running, or the bundle is over.</summary>
    private void StartRedialLocked(int index)
    {
        if (_redial is null || _options.LegRedialAttempts == 0 || _failure is not null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (_redialing[index] || _legs[index].Alive)
        {
            return;
        }

        _redialing[index] = true;
        _redials.RemoveAll(t => t.IsCompleted);
        _redials.Add(Task.Run(() => RedialAsync(index)));
    }

    /// <summary>
    /// Re-dials leg <paramref name="index"/> with backoff, at most <see cref="StripeOptions.LegRedialAttempts"/>
    /// times; a refusal by the server (no rejoin support, unknown bundle, not a member) ends it at once.
    /// </summary>
    private async Task RedialAsync(int index)
    {
        bool handedOver = false;
        try
        {
            handedOver = await RedialAttemptsAsync(index).ConfigureAwait(false);
        }
        finally
        {
            if (!handedOver)
            {
                lock (_lock)
                {
                    _redialing[index] = false;
                }
            }
        }
    }

    /// <returns>True once a connection was handed to <see cref="TryAttachLeg"/> (the flag is cleared by then).</returns>
    private async Task<bool> RedialAttemptsAsync(int index)
    {
        TimeSpan delay = _options.LegRedialDelay;
        TimeSpan maxDelay = _options.LegRedialDelay * 16;
        for (int attempt = 1; attempt <= _options.LegRedialAttempts; attempt++)
        {
            try
            {
                await Task.Delay(delay, _time, _lifetime.Token).ConfigureAwait(false);
                lock (_lock)
                {
                    if (_failure is not null || !_legs.Any(l => l.Alive))
                    {
                        return false;
                    }
                }

                TransportConnection connection = await _redial!(index, _lifetime.Token).ConfigureAwait(false);

                // From here a new death of this leg starts a new round of re-dialling.
                lock (_lock)
                {
                    _redialing[index] = false;
                }

                if (!TryAttachLeg(index, connection))
                {
                    await Quietly.DisposeAsync(connection).ConfigureAwait(false);
                }

                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
            catch (TransportException ex) when (ex.InnerException is StripeException { Error: StripeError.Refused })
            {
                // A clean refusal (e.g. a server without rejoin support): going on with the other legs.
                SetRedialError(index, ex);
                return false;
            }
            catch (Exception ex)
            {
                SetRedialError(index, ex);
            }

            delay = delay * 2 > maxDelay ? maxDelay : delay * 2;
        }

        return false;
    }

    private void SetRedialError(int index, Exception error)
    {
        lock (_lock)
        {
            _lastRedialError = $"leg {index}: {error.Message}";
        }
    }
}
