using System.Net;
using System.Net.Sockets;
using Weft.Transports.Registry;

namespace Weft.Transports.Tests;

/// <summary>Small helpers for loopback tests.</summary>
internal static class TestNet
{
    /// <summary>A TCP port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreeTcpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A fresh Unix socket path in the temp folder.</summary>
    public static string UnixPath() => Path.Combine(Path.GetTempPath(), "weft-" + Guid.NewGuid().ToString("N")[..12] + ".sock");

    /// <summary>Accepts one connection and echoes it until the peer half-closes, then half-closes too.</summary>
    public static async Task EchoOneAsync(IConnectionListener listener, CancellationToken cancellationToken)
    {
        await using TransportConnection connection = await listener.AcceptAsync(cancellationToken);
        await EchoAsync(connection, cancellationToken);
    }

    /// <summary>Echoes until end of stream, then half-closes.</summary>
    public static async Task EchoAsync(TransportConnection connection, CancellationToken cancellationToken)
    {
        await connection.Stream.CopyToAsync(connection.Stream, cancellationToken);
        await ((IHalfCloseable)connection.Stream).CompleteWritesAsync(cancellationToken);
    }

    /// <summary>Sends <paramref name="payload"/>, half-closes, reads everything back until end of stream.</summary>
    public static async Task<byte[]> RoundTripAsync(TransportConnection connection, byte[] payload, CancellationToken cancellationToken)
    {
        Task<byte[]> read = ReadToEndAsync(connection.Stream, cancellationToken);
        await connection.Stream.WriteAsync(payload, cancellationToken);
        await ((IHalfCloseable)connection.Stream).CompleteWritesAsync(cancellationToken);
        return await read;
    }

    public static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    public static byte[] Payload(int length, int seed = 7)
    {
        byte[] payload = new byte[length];
        new Random(seed).NextBytes(payload);
        return payload;
    }
}
