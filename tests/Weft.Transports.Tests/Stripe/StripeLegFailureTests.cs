using Weft.Testing;
using Weft.Transports.Stripe;

namespace Weft.Transports.Tests.Stripe;

/// <summary>
/// Legs that die (reset at a random byte, stalled) while data flows both ways: the chunks they had not
/// delivered are resent on the others and the SHA-256 matches; when every leg dies, both sides fail with a
/// clear error and what was read is an exact prefix of what was sent. Re-dialling is off here (see
/// <see cref="StripeRejoinTests"/>), so a dead leg stays dead and the others carry everything.
/// </summary>
public sealed class StripeLegFailureTests
{
    private const int MiB = 1024 * 1024;

    private static readonly StripeOptions s_noRedial = new() { LegRedialAttempts = 0 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task LegKilled_AtRandomByte_TransferCompletesAndSha256Matches(int seed)
    {
        CancellationToken ct = TestTimeout.Token(120);
        var random = new Random(seed);
        int victim = random.Next(4);
        long killAt = random.NextInt64(1, 3 * MiB);
        var proxyOptions = new ChaosProxyOptions
        {
            ConfigureConnection = c =>
            {
                if (c.Id == victim)
                {
                    c.KillAfter(killAt);
                }
            },
        };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(4, proxyOptions, s_noRedial, ct);
        await bundle.TransferBothWaysAndVerifyAsync(24 * MiB, 8 * MiB, seed, ct);

        // The victim died on both sides; the others carried its chunks.
        Assert.Equal(3, bundle.ClientStream.AliveLegCount);
        Assert.Equal(3, bundle.ServerStream.AliveLegCount);
        Assert.Single(bundle.ClientStream.GetLegStatistics(), l => !l.IsAlive);
    }

    [Fact]
    public async Task LegsKilled_AllButOne_TransferCompletesOnTheLastLeg()
    {
        CancellationToken ct = TestTimeout.Token(120);
        var proxyOptions = new ChaosProxyOptions { ConfigureConnection = c => c.KillAfter(c.Id == 2 ? -1 : (c.Id + 1) * 512 * 1024) };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(4, proxyOptions, s_noRedial, ct);
        await bundle.TransferBothWaysAndVerifyAsync(16 * MiB, 4 * MiB, seed: 9, ct);
        Assert.Equal(1, bundle.ClientStream.AliveLegCount);
        Assert.True(bundle.ClientStream.GetLegStatistics().Sum(l => l.ResentBytes) + bundle.ServerStream.GetLegStatistics().Sum(l => l.ResentBytes) > 0, "Nothing was resent although three legs died mid-transfer.");
    }

    [Fact]
    public async Task LegsKilled_All_BothSidesFailWithAllLegsLostAndReadAnExactPrefix()
    {
        CancellationToken ct = TestTimeout.Token(120);
        var proxyOptions = new ChaosProxyOptions { ConfigureConnection = c => c.KillAfter(300 * 1024 + (c.Id * 100 * 1024)) };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(2, proxyOptions, s_noRedial, ct);

        Task<Exception?> writing = Record.ExceptionAsync(() => Patterns.WriteAsync(bundle.Client.Stream, 256L * MiB, seed: 5, cancellationToken: ct)).AsTask();
        long position = 0;
        byte[] buffer = new byte[64 * 1024];
        Exception? readError = await Record.ExceptionAsync(async () =>
        {
            int n;
            while ((n = await bundle.Server.Stream.ReadAsync(buffer, ct)) > 0)
            {
                Patterns.AssertMatches(buffer.AsSpan(0, n), position, seed: 5);
                position += n;
            }
        });

        StripeException readFailure = Assert.IsType<StripeException>(readError);
        Assert.Equal(StripeError.AllLegsLost, readFailure.Error);
        Assert.Contains("Reconnect", readFailure.Message, StringComparison.Ordinal);
        StripeException writeFailure = Assert.IsType<StripeException>(await writing.WaitAsync(ct));
        Assert.Equal(StripeError.AllLegsLost, writeFailure.Error);
        Assert.InRange(position, 0, 700 * 1024);
        Assert.Equal(0, bundle.ClientStream.AliveLegCount);
    }

    [Fact]
    public async Task LegStalled_BlackHoled_DeclaredDeadAfterStallTimeoutAndTransferCompletes()
    {
        CancellationToken ct = TestTimeout.Token(120);
        var options = new StripeOptions { LegStallTimeout = TimeSpan.FromSeconds(1), LegRedialAttempts = 0 };
        var proxyOptions = new ChaosProxyOptions
        {
            ConfigureConnection = c =>
            {
                if (c.Id == 1)
                {
                    c.KillAfter(-1);
                }
            },
        };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(3, proxyOptions, options, ct);

        // A leg that swallows bytes without closing: only the stall timeout can notice it.
        bundle.Proxy.Connections[1].Pause();
        await bundle.TransferBothWaysAndVerifyAsync(8 * MiB, 2 * MiB, seed: 7, ct);
        Assert.Equal(2, bundle.ClientStream.AliveLegCount);
    }

    [Fact]
    public async Task Statistics_AfterTransfer_CountBytesPerLegAndQueuesDrain()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(3, null, null, ct);
        await bundle.TransferBothWaysAndVerifyAsync(4 * MiB, 1 * MiB, seed: 3, ct);
        IReadOnlyList<LegStatistics> legs = bundle.ClientStream.GetLegStatistics();
        Assert.Equal([0, 1, 2], legs.Select(l => l.Index));
        Assert.All(legs, l => Assert.True(l.IsAlive));
        Assert.All(legs, l => Assert.NotNull(l.RemoteEndPoint));

        // A leg counts its bytes when its send completes, which may be just after the peer has read them;
        // the peer acknowledged everything once it read it all, and the queue depth drains shortly after.
        static bool Settled(IReadOnlyList<LegStatistics> l) =>
            l.Sum(x => x.BytesSent) >= 4 * MiB && l.Sum(x => x.BytesReceived) >= 1 * MiB && l.All(x => x.QueueDepth == 0);
        for (int i = 0; i < 200 && !Settled(bundle.ClientStream.GetLegStatistics()); i++)
        {
            await Task.Delay(50, ct);
        }

        legs = bundle.ClientStream.GetLegStatistics();
        Assert.True(legs.Sum(l => l.BytesSent) >= 4 * MiB, "The legs' sent bytes do not add up to the transfer.");
        Assert.True(legs.Sum(l => l.BytesReceived) >= 1 * MiB, "The legs' received bytes do not add up to the transfer.");
        Assert.All(legs, l => Assert.Equal(0, l.QueueDepth));
    }
}
