using Weft.Mux;

namespace Weft.Tunnel.Routing;

/// <summary>Reads and writes route frames on a stream, reading exactly one frame's bytes (what follows belongs to the forwarded connection).</summary>
internal static class RouteIo
{
    /// <summary>Reads one frame within <paramref name="timeout"/>.</summary>
    /// <exception cref="RouteProtocolException">Malformed, truncated (end of stream inside the frame) or not complete in time.</exception>
    /// <exception cref="IOException">The stream failed.</exception>
    public static async ValueTask<RouteMessage> ReadAsync(Stream stream, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        byte[] header = new byte[RouteWire.HeaderSize];
        try
        {
            await ReadExactlyAsync(stream, header, "request header", linked.Token).ConfigureAwait(false);
            int length = RouteCodec.CheckHeader(header);
            byte[] body = new byte[length];
            await ReadExactlyAsync(stream, body, "request", linked.Token).ConfigureAwait(false);
            return RouteCodec.ParseBody((RouteFrameType)header[1], body);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new RouteProtocolException(RouteStatus.TimedOut, $"no complete request within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Writes a frame.</summary>
    public static ValueTask WriteAsync(Stream stream, RouteMessage message, CancellationToken cancellationToken) =>
        stream.WriteAsync(RouteCodec.Encode(message), cancellationToken);

    /// <summary>
    /// Refuses: writes the reply, half-closes, discards whatever else the peer sends and closes, so the reply
    /// is delivered rather than lost to a reset. Never throws.
    /// </summary>
    public static async ValueTask RefuseAsync(MuxStream stream, RouteReply reply)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await WriteAsync(stream, reply, timeout.Token).ConfigureAwait(false);
            stream.CompleteWrites();
            stream.Abort(MuxAbortDirection.Read);
        }
        catch (Exception)
        {
            stream.Abort();
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async ValueTask ReadExactlyAsync(Stream stream, Memory<byte> buffer, string what, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new RouteProtocolException(RouteStatus.BadRequest, $"bad request: truncated {what} ({read} of {buffer.Length} bytes, then end of stream)");
            }

            read += n;
        }
    }
}
