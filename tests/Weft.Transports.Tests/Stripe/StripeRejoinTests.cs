using System.Collections.Concurrent;
using Weft.Testing;
using Weft.Transports.Stripe;

namespace Weft.Transports.Tests.Stripe;

/// <summary>
/// Re-dialling of dead legs: the client dials a new connection for a leg that died, greets it as a rejoin of
/// the running bundle, and the bundle is back to N legs while the transfer goes on (SHA-256 checked); a
/// server that refuses the rejoin (or does not know it) is a clean refusal and the bundle goes on with the rest.
/// </summary>
public sealed class StripeRejoinTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task LegKilled_RedialledAndRejoined_BundleBackToAllLegsAndSha256Matches(int victim)
    {
        CancellationToken ct = TestTimeout.Token(120);
        var connections = new ConcurrentDictionary<long, ChaosConnection>();
        var proxyOptions = new ChaosProxyOptions
        {
            // Capped, so that the transfer outlasts the re-dial and the rejoined leg carries its share.
            BytesPerSecond = 6 * MiB,
            ConfigureConnection = c =>
            {
                connections[c.Id] = c;
                if (c.Id == victim)
                {
                    c.KillAfter(512 * 1024);
                }
            },
        };
        var options = new StripeOptions { LegRedialDelay = TimeSpan.FromMilliseconds(50) };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(3, proxyOptions, options, ct);
        await bundle.TransferBothWaysAndVerifyAsync(32 * MiB, 4 * MiB, seed: victim, ct);

        // Both sides have all three legs again; one slot says it was re-dialled once, on both sides.
        await WaitForAsync(() => bundle.ClientStream.AliveLegCount == 3 && bundle.ServerStream.AliveLegCount == 3, ct);
        LegStatistics rejoined = Assert.Single(bundle.ClientStream.GetLegStatistics(), l => l.Rejoins == 1);
        Assert.All(bundle.ClientStream.GetLegStatistics(), l => Assert.InRange(l.Rejoins, 0, 1));
        Assert.Equal(1, bundle.ServerStream.GetLegStatistics()[rejoined.Index].Rejoins);
        Assert.Null(bundle.ClientStream.LastRedialError);

        // The fourth connection through the proxy is the rejoined leg, and it carried data, not only its hello.
        Assert.Equal(4, bundle.Proxy.TotalAccepted);
        Assert.True(connections[3].BytesForwarded > 256 * 1024, $"The rejoined leg forwarded only {connections[3].BytesForwarded} bytes.");
    }

    [Fact]
    public async Task LegKilled_ServerRefusesRejoin_CleanRefusalAndTransferCompletesOnTheOtherLegs()
    {
        CancellationToken ct = TestTimeout.Token(120);
        var proxyOptions = new ChaosProxyOptions { ConfigureConnection = c => c.KillAfter(c.Id == 1 ? 256 * 1024 : -1) };

        // The same options on both sides: the server accepts no rejoin at all.
        var options = new StripeOptions { LegRedialDelay = TimeSpan.FromMilliseconds(20), MaxLegRejoins = 0 };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(3, proxyOptions, options, ct);
        await bundle.TransferBothWaysAndVerifyAsync(8 * MiB, 2 * MiB, seed: 11, ct);
        await WaitForAsync(() => bundle.ClientStream.LastRedialError is not null, ct);
        Assert.Contains("did not accept the leg as a member", bundle.ClientStream.LastRedialError, StringComparison.Ordinal);

        // One refused attempt, then no more: 3 legs + 1 rejoin attempt went through the proxy.
        await Task.Delay(300, ct);
        Assert.Equal(4, bundle.Proxy.TotalAccepted);
        Assert.Equal(2, bundle.ClientStream.AliveLegCount);
        Assert.Equal(2, bundle.ServerStream.AliveLegCount);
    }

    [Fact]
    public async Task LegKilled_RedialOff_NoRejoinAttempted()
    {
        CancellationToken ct = TestTimeout.Token(120);
        var proxyOptions = new ChaosProxyOptions { ConfigureConnection = c => c.KillAfter(c.Id == 0 ? 256 * 1024 : -1) };
        var options = new StripeOptions { LegRedialAttempts = 0 };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(2, proxyOptions, options, ct);
        await bundle.TransferBothWaysAndVerifyAsync(4 * MiB, 1 * MiB, seed: 12, ct);
        await Task.Delay(300, ct);
        Assert.Equal(2, bundle.Proxy.TotalAccepted);
        Assert.Equal(1, bundle.ClientStream.AliveLegCount);
    }

    [Fact]
    public async Task LegKilled_OldServerAnswersUnsupported_RedialStopsWithAClearReason()
    {
        CancellationToken ct = TestTimeout.Token(60);

        // A server of the first stripe version: it accepts legs with status 0 and answers anything else "unsupported" (4).
        await using var server = await FakeStripeServer.StartAsync(reply: hello => { hello[11] = hello[11] == 0 ? (byte)0 : (byte)4; return hello; }, ct);
        var options = new StripeOptions { LegRedialDelay = TimeSpan.FromMilliseconds(20) };
        await using TransportConnection client = await StripeFixture.Registry(options).DialAsync(server.Address(2), ct);
        var stream = (StripeStream)client.Stream;
        Assert.Equal(2, stream.AliveLegCount);

        server.CloseClient(1);
        await WaitForAsync(() => stream.LastRedialError is not null, ct);
        Assert.Contains("does not support rejoining", stream.LastRedialError, StringComparison.Ordinal);
        Assert.Equal(1, stream.AliveLegCount);

        // Exactly one rejoin hello (status 5, same bundle id and index as the dead leg), and no retry after the refusal.
        await Task.Delay(300, ct);
        IReadOnlyList<byte[]> hellos = server.Hellos;
        Assert.Equal(3, hellos.Count);
        Assert.Equal(5, hellos[2][11]);
        Assert.Equal(hellos[0].AsSpan(16).ToArray(), hellos[2].AsSpan(16).ToArray());
        Assert.Equal(hellos[1][10], hellos[2][10]);
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(20, ct);
        }
    }
}
