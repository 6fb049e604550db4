using System.Buffers.Binary;

namespace Weft.Tunnel.Udp;

/// <summary>
/// Seed 003's datagram pipe over a stream: each datagram is <c>length u16 BE | payload</c>, so message
/// boundaries survive the byte stream (3, 123 and 4 bytes sent arrive as 3, 123 and 4).
/// </summary>
internal static class DatagramFraming
{
    /// <summary>Writes one datagram (header and payload in one write, so frames are never interleaved).</summary>
    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> datagram, byte[] scratch, CancellationToken cancellationToken)
    {
        if (datagram.Length > Routing.RouteWire.MaxDatagramSize)
        {
            throw new ArgumentException($"a datagram of {datagram.Length} bytes is over {Routing.RouteWire.MaxDatagramSize}", nameof(datagram));
        }

        BinaryPrimitives.WriteUInt16BigEndian(scratch, (ushort)datagram.Length);
        datagram.Span.CopyTo(scratch.AsSpan(2));
        await stream.WriteAsync(scratch.AsMemory(0, 2 + datagram.Length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one datagram into <paramref name="buffer"/> (at least 65,535 bytes).</summary>
    /// <returns>Its length, or -1 at a clean end of stream between datagrams.</returns>
    /// <exception cref="IOException">The stream ended inside a datagram.</exception>
    public static async ValueTask<int> ReadAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        if (!await FillAsync(stream, buffer.AsMemory(0, 2), allowEnd: true, cancellationToken).ConfigureAwait(false))
        {
            return -1;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        await FillAsync(stream, buffer.AsMemory(0, length), allowEnd: false, cancellationToken).ConfigureAwait(false);
        return length;
    }

    private static async ValueTask<bool> FillAsync(Stream stream, Memory<byte> buffer, bool allowEnd, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (read == 0 && allowEnd)
                {
                    return false;
                }

                throw new IOException("the datagram stream ended inside a datagram");
            }

            read += n;
        }

        return true;
    }
}
