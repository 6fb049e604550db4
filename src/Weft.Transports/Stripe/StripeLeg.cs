namespace Weft.Transports.Stripe;

/// <summary>
/// One connection of a bundle and its per-leg state. Every mutable field is guarded by the bundle's lock,
/// except the byte counters, which are updated with <see cref="Interlocked"/> so statistics can be read
/// without it.
/// </summary>
internal sealed class StripeLeg
{
    public StripeLeg(int index, TransportConnection connection)
    {
        Index = index;
        Connection = connection;
    }

    public int Index { get; }

    public TransportConnection Connection { get; }

    public Stream Stream => Connection.Stream;

    public bool Alive { get; set; } = true;

    // Sending side.

    /// <summary>Chunks assigned to this leg and not yet written, in order.</summary>
    public Queue<StripeChunk> Unsent { get; } = new();

    /// <summary>Chunks written on this leg and not yet acknowledged, in the order written.</summary>
    public Queue<StripeChunk> Unacked { get; } = new();

    public long UnsentBytes { get; set; }

    public long UnackedBytes { get; set; }

    /// <summary>Payload bytes written on this leg so far (the leg's own sequence space for Acks).</summary>
    public long SentPayload { get; set; }

    /// <summary>Payload bytes of this leg the peer has acknowledged.</summary>
    public long AckedPayload { get; set; }

    /// <summary>An Ack should go out on this leg (the latest values are taken when it is written).</summary>
    public bool AckPending { get; set; }

    /// <summary>The Fin should go out on this leg after its queued chunks.</summary>
    public bool FinPending { get; set; }

    /// <summary>A Reset with this code should go out, then the writer stops.</summary>
    public StripeResetCode? ResetPending { get; set; }

    /// <summary>Wakes the write loop.</summary>
    public TaskCompletionSource? WriterWaiter { get; set; }

    /// <summary>Delivery rate in bytes per second (windowed maximum); 0 until measured.</summary>
    public double Bandwidth { get; set; }

    public long BandwidthStamp { get; set; }

    /// <summary>Smallest round trip in seconds (windowed minimum); 0 until measured.</summary>
    public double MinRtt { get; set; }

    public long MinRttStamp { get; set; }

    // Receiving side.

    /// <summary>Data payload bytes received on this leg (what its Acks report).</summary>
    public long ReceivedPayload { get; set; }

    // Statistics (Interlocked).
    public long BytesSent;
    public long BytesReceived;
    public long ResentBytes;

    /// <summary>How many connections this leg's slot had before this one (each a rejoin after the previous died).</summary>
    public int Rejoins { get; init; }

    public Task ReadLoop { get; set; } = Task.CompletedTask;

    public Task WriteLoop { get; set; } = Task.CompletedTask;

    public long InFlight => UnsentBytes + UnackedBytes;

    public void Signal()
    {
        TaskCompletionSource? waiter = WriterWaiter;
        WriterWaiter = null;
        waiter?.TrySetResult();
    }
}
