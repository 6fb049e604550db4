using System.Net;
using System.Net.Sockets;

namespace Weft.Testing.Tests;

/// <summary><see cref="ChaosProxyOptions.ConfigureConnection"/>: per-connection settings applied before any byte flows.</summary>
public sealed class ChaosProxyConfigureConnectionTests
{
    [Fact]
    public async Task ConfigureConnection_KillOnlySecondConnection_FirstCarriesEverythingSecondNothing()
    {
        CancellationToken ct = TestTimeout.Token();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var seen = new List<long>();
        var options = new ChaosProxyOptions
        {
            ConfigureConnection = c =>
            {
                lock (seen)
                {
                    seen.Add(c.Id);
                }

                if (c.Id == 1)
                {
                    // Applied before forwarding starts: not a single byte may pass.
                    c.KillAfter(0, ChaosCutMode.Fin);
                }
            },
        };
        await using var proxy = ChaosProxy.Start((IPEndPoint)listener.LocalEndpoint, options);

        byte[] data = Patterns.Create(100_000, seed: 3);
        for (int i = 0; i < 2; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(proxy.EndPoint, ct);
            using TcpClient server = await listener.AcceptTcpClientAsync(ct);
            NetworkStream clientStream = client.GetStream();
            await clientStream.WriteAsync(data, ct);
            client.Client.Shutdown(SocketShutdown.Send);
            var (length, hash) = await Patterns.ReadAndHashAsync(server.GetStream(), cancellationToken: ct);
            if (i == 0)
            {
                Assert.Equal(data.Length, length);
                Assert.Equal(Convert.ToHexString(Patterns.Sha256(data)), Convert.ToHexString(hash));
            }
            else
            {
                Assert.Equal(0, length);
            }
        }

        lock (seen)
        {
            Assert.Equal([0L, 1L], seen);
        }
    }

    [Fact]
    public async Task ConfigureConnection_Throws_OnlyThatConnectionIsReset()
    {
        CancellationToken ct = TestTimeout.Token();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var options = new ChaosProxyOptions
        {
            ConfigureConnection = c =>
            {
                if (c.Id == 0)
                {
                    throw new InvalidOperationException("faulty callback");
                }
            },
        };
        await using var proxy = ChaosProxy.Start((IPEndPoint)listener.LocalEndpoint, options);

        using (var first = new TcpClient())
        {
            // The reset may surface at connect, at the read, or as end of stream: never as data.
            int read = -1;
            Exception? error = await Record.ExceptionAsync(async () =>
            {
                await first.ConnectAsync(proxy.EndPoint, ct);
                read = await first.GetStream().ReadAsync(new byte[1], ct);
            });
            Assert.True(error is IOException or SocketException || read == 0, $"Expected a reset, got {error?.GetType().Name ?? $"{read} byte(s)"}.");
        }

        using var second = new TcpClient();
        await second.ConnectAsync(proxy.EndPoint, ct);
        using TcpClient server = await listener.AcceptTcpClientAsync(ct);
        await second.GetStream().WriteAsync(new byte[] { 42 }, ct);
        byte[] one = new byte[1];
        await server.GetStream().ReadExactlyAsync(one, ct);
        Assert.Equal(42, one[0]);
    }
}
