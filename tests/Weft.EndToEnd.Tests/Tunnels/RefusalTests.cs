using System.Net.Sockets;
using System.Text.RegularExpressions;
using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.Tunnels;

/// <summary>
/// Each refusal reaches the user: the local connection ends at once (never a hang), nothing reaches the
/// target, and the client agent logs the hop's clear reason.
/// </summary>
public sealed class RefusalTests
{
    private static readonly TimeSpan s_timeout = TestTimeout.Scaled(TimeSpan.FromSeconds(30));

    [Theory]
    [InlineData("noise", "responder does not authorise this identity")]
    [InlineData("shs", "refused this client's key")]
    public async Task UnknownClientKey_IsRefusedWithAClearMessage(string layer, string message)
    {
        CancellationToken ct = TestTimeout.Token(120);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.CreateAsync(new WeftChainOptions { Target = target.EndPoint, SecureLayer = layer }, ct);
        await chain.UseStrangerClientKeyAsync(ct);
        await chain.StartRelayAsync(ct);
        await chain.StartServerAsync(ct);
        await chain.WaitForServerRegisteredAsync(0, ct);
        await chain.StartClientAsync(ct);

        await AssertRefusedAsync(chain, target, new Regex(Regex.Escape(message)), ct);
    }

    [Fact]
    public async Task KeyNotAllowedForTheServer_IsRefusedWithAClearMessage()
    {
        CancellationToken ct = TestTimeout.Token(120);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint, ClientMayReach = ["elsewhere"] }, waitUntilUsable: false, ct);

        await AssertRefusedAsync(chain, target, new Regex("relay: .*not allowed to reach server 'lab'"), ct);
    }

    [Fact]
    public async Task NoSuchServer_IsRefusedWithAClearMessage()
    {
        CancellationToken ct = TestTimeout.Token(120);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint, ClientAsksFor = "nowhere", ClientMayReach = ["*"] }, waitUntilUsable: false, ct);

        await AssertRefusedAsync(chain, target, new Regex("relay: no server named 'nowhere'"), ct);
    }

    [Fact]
    public async Task TargetNotAllowed_IsRefusedWithAClearMessage()
    {
        CancellationToken ct = TestTimeout.Token(120);
        await using TcpTarget target = TcpTarget.Start();
        int other = target.EndPoint.Port == 65535 ? 1 : target.EndPoint.Port + 1;
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint, AllowedPorts = other.ToString(System.Globalization.CultureInfo.InvariantCulture) }, waitUntilUsable: false, ct);

        await AssertRefusedAsync(chain, target, new Regex($@"server: target 127\.0\.0\.1:{target.EndPoint.Port} not allowed for key"), ct);
    }

    [Fact]
    public async Task RelayFull_IsRefusedWithAClearMessageWhileTheOpenConnectionGoesOn()
    {
        CancellationToken ct = TestTimeout.Token(120);
        await using TcpTarget target = TcpTarget.Start();
        await using WeftChain chain = await WeftChain.StartAsync(new WeftChainOptions { Target = target.EndPoint, RelayLimits = ["max-total-streams: 1"] }, ct);

        // One forwarded connection holds the relay's only stream slot.
        using Socket first = await TransferClient.ConnectAsync(chain.LocalForward, ct);
        await TransferClient.SendAllAsync(first, "E"u8.ToArray(), ct);
        await EchoOnceAsync(first, 1000, ct);
        long acceptedBefore = target.Accepted;

        await AssertRefusedAsync(chain, target, new Regex("relay: .*(full|at capacity)"), ct, expectedAccepted: acceptedBefore);

        await EchoOnceAsync(first, 1000, ct); // the open connection is unharmed
    }

    private static async Task EchoOnceAsync(Socket socket, int size, CancellationToken ct)
    {
        byte[] data = Patterns.Create(size, seed: size);
        await TransferClient.SendAllAsync(socket, data, ct);
        var echo = new byte[size];
        Assert.Equal(size, await TransferClient.ReceiveAtMostAsync(socket, echo, ct));
        Assert.Equal(data, echo);
    }

    private static async Task AssertRefusedAsync(WeftChain chain, TcpTarget target, Regex message, CancellationToken ct, long expectedAccepted = 0)
    {
        ProcessRunner client = chain.Client!.Runner;
        int from = client.LineCount;
        using Socket socket = await TransferClient.ConnectAsync(chain.LocalForward, ct);
        try
        {
            await TransferClient.SendAllAsync(socket, "E"u8.ToArray(), ct);
            await TransferClient.SendAllAsync(socket, new byte[100], ct);
        }
        catch (SocketException)
        {
            // Already reset: that is the refusal.
        }

        // The user sees the connection end promptly: end of stream or a reset, never an echo or a hang.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(s_timeout);
        var buffer = new byte[200];
        int n;
        try
        {
            n = await TransferClient.ReceiveAtMostAsync(socket, buffer, wait.Token);
        }
        catch (SocketException)
        {
            n = 0;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"the refused connection neither closed nor reset within {s_timeout.TotalSeconds} s\n{chain.Diagnostics()}");
            throw;
        }

        Assert.True(n == 0, $"a refused route carried {n} bytes back\n{chain.Diagnostics()}");
        await client.WaitForLineAsync(message, s_timeout, from, ct);
        Assert.Equal(expectedAccepted, target.Accepted);
    }
}
