namespace Weft.Transports;

/// <summary>
/// A snapshot of one leg of a connection carried by several connections at once (a <c>stripe:N</c> bundle),
/// for status displays such as <c>weft status</c>. Found through <see cref="ILegStatisticsSource"/>.
/// </summary>
/// <param name="Index">The leg's index in its bundle (0 … legs − 1).</param>
/// <param name="RemoteEndPoint">The leg's remote end point as its transport reports it, if known.</param>
/// <param name="IsAlive">Whether the leg still carries traffic (false once it died or the bundle closed).</param>
/// <param name="BytesSent">Bytes written on the leg (frames and their payload), over every connection this slot had.</param>
/// <param name="BytesReceived">Bytes read from the leg (frames and their payload), over every connection this slot had.</param>
/// <param name="UnsentBytes">Payload bytes assigned to the leg and not yet written on it.</param>
/// <param name="UnacknowledgedBytes">Payload bytes written on the leg that its receiver has not acknowledged yet.</param>
/// <param name="ResentBytes">Payload bytes this leg carried again because another leg died before they were acknowledged.</param>
/// <param name="DeliveryRate">The measured delivery rate in bytes per second (0 until measured).</param>
/// <param name="MinRoundTrip">The smallest measured round trip (send to acknowledgement), or zero until measured.</param>
/// <param name="Rejoins">How many times this leg was re-dialled after it died and rejoined the bundle (0 = still its first connection).</param>
public sealed record LegStatistics(
    int Index,
    string? RemoteEndPoint,
    bool IsAlive,
    long BytesSent,
    long BytesReceived,
    long UnsentBytes,
    long UnacknowledgedBytes,
    long ResentBytes,
    double DeliveryRate,
    TimeSpan MinRoundTrip,
    int Rejoins = 0)
{
    /// <summary>The leg's queue depth: <see cref="UnsentBytes"/> + <see cref="UnacknowledgedBytes"/> (what the sender balances).</summary>
    public long QueueDepth => UnsentBytes + UnacknowledgedBytes;
}
