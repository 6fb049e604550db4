using System.Net;
using System.Net.Sockets;

namespace Weft.Security.Tests;

/// <summary>Connected stream pairs for handshake tests.</summary>
internal static class TestStreams
{
    /// <summary>A loopback TCP connection: (client side, server side).</summary>
    public static async Task<(NetworkStream Client, NetworkStream Server)> TcpPairAsync(CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task connect = client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, ct).AsTask();
        Socket accepted = await listener.AcceptSocketAsync(ct);
        await connect;
        accepted.NoDelay = true;
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(accepted, ownsSocket: true));
    }

    /// <summary>Standard timeout for one test.</summary>
    public static CancellationTokenSource Timeout(int seconds = 30) => new(TimeSpan.FromSeconds(seconds));
}
