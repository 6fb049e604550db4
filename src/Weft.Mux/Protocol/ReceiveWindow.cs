namespace Weft.Mux.Protocol;

/// <summary>
/// Receive-side flow control of one stream, as a value owned by the stream under its lock. Pure: the
/// caller passes in time measurements. The peer may send <see cref="Credit"/> more bytes; bytes the reader
/// consumed go back to the peer in one WindowUpdate once half the window is consumed, and the window
/// doubles (within a maximum and a session budget) when that half was consumed within two round trips,
/// i.e. when the window, not the reader, is what limits the stream.
/// </summary>
public struct ReceiveWindow
{
    /// <summary>Creates a window of <paramref name="initialSize"/> bytes, all of it credited to the peer.</summary>
    /// <param name="initialSize">The initial window (yamux: 256 KiB).</param>
    public ReceiveWindow(uint initialSize)
    {
        Size = initialSize;
        Credit = initialSize;
    }

    /// <summary>Current window size.</summary>
    public uint Size { get; private set; }

    /// <summary>Bytes the peer may still send before it must wait for an update.</summary>
    public uint Credit { get; private set; }

    /// <summary>Bytes consumed by the reader and not yet returned to the peer.</summary>
    public uint Pending { get; private set; }

    /// <summary>Accounts for <paramref name="length"/> bytes received.</summary>
    /// <param name="length">Payload length of a Data frame.</param>
    /// <returns>False when the peer sent more than its credit (a protocol violation).</returns>
    public bool TryReceive(uint length)
    {
        if (length > Credit)
        {
            return false;
        }

        Credit -= length;
        return true;
    }

    /// <summary>Accounts for <paramref name="count"/> bytes consumed by the reader.</summary>
    /// <param name="count">Bytes handed to the application (or discarded).</param>
    /// <returns>True when a window update is due.</returns>
    public bool Consume(uint count)
    {
        Pending += count;
        return Pending >= Size / 2;
    }

    /// <summary>Takes the due update, growing the window by <paramref name="growth"/> bytes.</summary>
    /// <param name="growth">Extra window, already reserved from the session budget.</param>
    /// <returns>The credit to send in the WindowUpdate.</returns>
    public uint TakeUpdate(uint growth)
    {
        Size += growth;
        uint delta = Pending + growth;
        Credit += delta;
        Pending = 0;
        return delta;
    }

    /// <summary>How much a window should grow at an update.</summary>
    /// <param name="size">The current size.</param>
    /// <param name="maxSize">The per-stream maximum.</param>
    /// <param name="sinceLastUpdate">Time since the previous update of this stream.</param>
    /// <param name="rtt">The session's round-trip estimate.</param>
    /// <returns>Bytes to add (doubling), or 0 when the reader, not the window, is the limit.</returns>
    public static uint DesiredGrowth(uint size, uint maxSize, TimeSpan sinceLastUpdate, TimeSpan rtt)
    {
        if (size >= maxSize || sinceLastUpdate >= rtt + rtt)
        {
            return 0;
        }

        return Math.Min(size, maxSize - size);
    }
}
