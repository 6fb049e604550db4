using System.Buffers.Binary;
using System.Net.Sockets;
using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.Tunnels;

/// <summary>
/// weft runs socket completions inline, on the socket engine's event threads (docs/tunnels.md, "Socket
/// completions"): anything that blocked a thread inside a socket continuation would now stall every socket
/// that event thread serves. These tests hold connections that have run into back-pressure at both ends of
/// the chain (a target that stopped reading, local clients that stopped reading) while other connections
/// through the same client agent, relay and server agent must still carry checked bytes.
/// </summary>
public sealed class StalledConnectionTests
{
    private const long Endless = 1L << 36;

    [Fact]
    public async Task StalledTargetsAndStalledLocalClients_OtherConnectionsThroughTheSameProcessesStillFlow()
    {
        CancellationToken ct = TestTimeout.Token(240);
        await using TcpTarget target = TcpTarget.Start();

        // The variable removed: weft's own default (inline) applies whatever the test runner's environment says.
        await using WeftChain chain = await WeftChain.StartAsync(
            new WeftChainOptions { Target = target.EndPoint, Environment = new Dictionary<string, string?> { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = null } },
            ct);
        var stalled = new List<Socket>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            // Three uploads into a target that reads nothing: each runs into back-pressure at the server agent's
            // target socket, then the mux windows of all three hops, then the local socket.
            var uploads = new List<(Task Writer, Func<long> Sent)>();
            for (int i = 0; i < 3; i++)
            {
                Socket socket = await TransferClient.ConnectAsync(chain.LocalForward, ct);
                stalled.Add(socket);
                await TransferClient.SendAllAsync(socket, "S"u8.ToArray(), ct);
                long sent = 0;
                Task writer = Task.Run(
                    async () =>
                    {
                        var chunk = new byte[64 * 1024];
                        while (!stop.IsCancellationRequested)
                        {
                            await TransferClient.SendAllAsync(socket, chunk, stop.Token);
                            Interlocked.Add(ref sent, chunk.Length);
                        }
                    },
                    CancellationToken.None);
                uploads.Add((writer, () => Interlocked.Read(ref sent)));
            }

            // Three downloads whose local clients read the first bytes and then stop reading: the target's sends
            // back up through all three hops.
            for (int i = 0; i < 3; i++)
            {
                Socket socket = await TransferClient.ConnectAsync(chain.LocalForward, ct);
                stalled.Add(socket);
                var header = new byte[13];
                header[0] = (byte)'G';
                BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1), Endless);
                await TransferClient.SendAllAsync(socket, header, ct);
                var first = new byte[64 * 1024];
                int got = 0;
                while (got < first.Length)
                {
                    int n = await socket.ReceiveAsync(first.AsMemory(got), SocketFlags.None, ct);
                    Assert.True(n > 0, $"download {i} ended after {got} bytes\n{chain.Diagnostics()}");
                    got += n;
                }
            }

            // The uploads have started moving before the healthy traffic begins.
            while (uploads.Any(u => u.Sent() < (1 << 20)))
            {
                Assert.False(uploads.Any(u => u.Writer.IsCompleted), $"a stalled upload failed: {uploads.First(u => u.Writer.IsCompleted).Writer.Exception}\n{chain.Diagnostics()}");
                await Task.Delay(50, ct);
            }

            // Healthy traffic through the same three processes while the six stalled connections hold.
            await Task.WhenAll(
                Enumerable.Range(0, 4).Select(i => TransferClient.EchoAndVerifyAsync(chain.LocalForward, 1 << 20, seed: 10 + i, ct))
                    .Append(TransferClient.UploadAndVerifyAsync(chain.LocalForward, 4 << 20, seed: 20, ct))
                    .Append(TransferClient.DownloadAndVerifyAsync(chain.LocalForward, 4 << 20, seed: 21, ct))
                    .Append(TransferClient.MeasureRoundTripsAsync(chain.LocalForward, 64, 200, warmup: 10, ct)));

            // The stalled ones are still stalled (nothing gave way or was dropped to let the others through).
            Assert.All(uploads, u => Assert.False(u.Writer.IsCompleted, "a stalled upload ended"));
            Assert.True(target.Active >= 6, $"the target holds {target.Active} connections; the six stalled ones should still be open");
        }
        finally
        {
            await stop.CancelAsync();
            foreach (Socket socket in stalled)
            {
                socket.Dispose();
            }
        }

        // And the chain still serves new connections once the stalled ones are gone.
        await TransferClient.EchoAndVerifyAsync(chain.LocalForward, 256 << 10, seed: 30, ct);
    }
}
