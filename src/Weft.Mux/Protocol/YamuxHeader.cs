namespace Weft.Mux.Protocol;

/// <summary>One decoded yamux frame header.</summary>
/// <param name="Type">The frame type.</param>
/// <param name="Flags">The flag bits.</param>
/// <param name="StreamId">The stream the frame belongs to; 0 for the session.</param>
/// <param name="Length">Payload length for Data, credit for WindowUpdate, opaque value for Ping, code for GoAway.</param>
public readonly record struct YamuxHeader(YamuxFrameType Type, YamuxFlags Flags, uint StreamId, uint Length)
{
    /// <summary>Whether every bit in <paramref name="flags"/> is set.</summary>
    /// <param name="flags">The flags to test.</param>
    /// <returns>True when all are set.</returns>
    public bool Has(YamuxFlags flags) => (Flags & flags) == flags;

    /// <summary>Number of payload bytes that follow this header on the wire (only Data frames carry any).</summary>
    public uint PayloadLength => Type == YamuxFrameType.Data ? Length : 0;

    /// <inheritdoc />
    public override string ToString() => $"{Type}(id={StreamId}, flags={Flags}, length={Length})";
}
