using System.Buffers;

namespace Weft.Transports.Stripe;

/// <summary>
/// A piece of the bundle's byte stream in a pooled buffer. On the sending side it is kept until the leg it
/// went out on acknowledges it (so it can be resent if that leg dies); on the receiving side it waits in
/// the reorder buffer or the ready queue. Owned by the bundle lock; <see cref="Release"/> returns the buffer.
/// </summary>
internal sealed class StripeChunk
{
    private byte[]? _buffer;

    public StripeChunk(long offset, int length)
    {
        Offset = offset;
        Length = length;
        _buffer = ArrayPool<byte>.Shared.Rent(length);
    }

    /// <summary>Stream offset of the first byte.</summary>
    public long Offset { get; }

    /// <summary>Payload bytes.</summary>
    public int Length { get; }

    /// <summary>Stream offset just past the last byte.</summary>
    public long End => Offset + Length;

    /// <summary>The payload.</summary>
    public Span<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>Sender: the leg's payload byte count once this chunk was written on it (acknowledged when the leg's Ack reaches it).</summary>
    public long LegEnd { get; set; }

    /// <summary>Sender: when it was written on its leg (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long SentTimestamp { get; set; }

    /// <summary>Sender: the leg's acknowledged byte count when this chunk was written (for the delivery-rate sample).</summary>
    public long AckedAtSend { get; set; }

    /// <summary>Returns the buffer to the pool; the chunk must not be used afterwards. Idempotent.</summary>
    public void Release()
    {
        byte[]? buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
