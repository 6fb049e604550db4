using System.Net;
using System.Net.Sockets;
using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.FixtureTests;

/// <summary>The target service and the checked transfers: they pass on intact routes and catch a changed byte.</summary>
public sealed class TransferClientTests
{
    [Fact]
    public async Task Target_Direct_UploadDownloadEchoAllVerify()
    {
        CancellationToken ct = TestTimeout.Token();
        await using TcpTarget target = TcpTarget.Start();

        byte[] hash = await TransferClient.UploadAndVerifyAsync(target.EndPoint, 3_000_001, seed: 5, ct);
        byte[] down = await TransferClient.DownloadAndVerifyAsync(target.EndPoint, 3_000_001, seed: 5, ct);
        await TransferClient.EchoAndVerifyAsync(target.EndPoint, 1_000_003, seed: 6, ct);

        Assert.Equal(Patterns.Sha256OfPattern(3_000_001, seed: 5), hash);
        Assert.Equal(hash, down);
        Assert.Equal(3, target.Accepted);
    }

    [Fact]
    public async Task Transfers_OneByteFlippedOnTheWay_AreCaught()
    {
        CancellationToken ct = TestTimeout.Token();
        await using TcpTarget target = TcpTarget.Start();
        await using var flipper = new ByteFlippingForwarder(target.EndPoint, flipAt: 1_000_000);

        await Assert.ThrowsAsync<TransferException>(() => TransferClient.UploadAndVerifyAsync(flipper.EndPoint, 2_000_000, seed: 1, ct));
        TransferException down = await Assert.ThrowsAsync<TransferException>(() => TransferClient.DownloadAndVerifyAsync(flipper.EndPoint, 2_000_000, seed: 1, ct));
        Assert.Contains("differs", down.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<TransferException>(() => TransferClient.EchoAndVerifyAsync(flipper.EndPoint, 2_000_000, seed: 1, ct));
    }

    [Fact]
    public async Task Download_StreamCutShort_IsCaught()
    {
        CancellationToken ct = TestTimeout.Token();
        await using TcpTarget target = TcpTarget.Start();
        await using ChaosProxy proxy = ChaosProxy.Start(target.EndPoint, new ChaosProxyOptions { KillAfterBytes = 500_000, KillMode = ChaosCutMode.Fin });

        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => TransferClient.DownloadAndVerifyAsync(proxy.EndPoint, 2_000_000, seed: 1, ct));
        Assert.True(e is TransferException or SocketException, e.ToString());
    }

    [Fact]
    public async Task Measurements_Direct_ReturnPlausibleFigures()
    {
        CancellationToken ct = TestTimeout.Token();
        await using TcpTarget target = TcpTarget.Start();

        double bytesPerSecond = await TransferClient.MeasureThroughputAsync(target.EndPoint, TimeSpan.FromMilliseconds(300), ct);
        double[] rtt = await TransferClient.MeasureRoundTripsAsync(target.EndPoint, 64, 200, 20, ct);

        Assert.True(bytesPerSecond > 1e6, $"{bytesPerSecond} B/s");
        Assert.Equal(200, rtt.Length);
        Assert.True(rtt[0] > 0 && rtt[0] <= TransferClient.Quantile(rtt, 0.5) && TransferClient.Quantile(rtt, 0.5) <= TransferClient.Quantile(rtt, 0.99));
    }

    /// <summary>Forwards one connection at a time and XORs one byte at an absolute offset in each direction.</summary>
    private sealed class ByteFlippingForwarder : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly IPEndPoint _target;
        private readonly long _flipAt;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public ByteFlippingForwarder(IPEndPoint target, long flipAt)
        {
            _target = target;
            _flipAt = flipAt;
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
            _loop = LoopAsync();
        }

        public IPEndPoint EndPoint { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            try
            {
                await _loop;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task LoopAsync()
        {
            while (true)
            {
                using Socket client = await _listener.AcceptAsync(_stop.Token);
                using Socket server = await TransferClient.ConnectAsync(_target, _stop.Token);
                await Task.WhenAll(CopyAsync(client, server), CopyAsync(server, client));
            }
        }

        private async Task CopyAsync(Socket from, Socket to)
        {
            var buffer = new byte[16 * 1024];
            long position = 0;
            try
            {
                int n;
                while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                {
                    if (_flipAt >= position && _flipAt < position + n)
                    {
                        buffer[_flipAt - position] ^= 0x01;
                    }

                    position += n;
                    await TransferClient.SendAllAsync(to, buffer.AsMemory(0, n), _stop.Token);
                }

                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                TcpPair.Reset(to);
                TcpPair.Reset(from);
            }
        }
    }
}
