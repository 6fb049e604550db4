using Weft.Testing;
using Weft.Transports.Stripe;

namespace Weft.Transports.Tests.Stripe;

/// <summary>Many 256 MiB transfers, each with legs killed at random bytes; the SHA-256 must match every time. Slow: behind the Stress trait.</summary>
[Trait("Category", "Stress")]
public sealed class StripeStressTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(101)]
    [InlineData(102)]
    [InlineData(103)]
    [InlineData(104)]
    [InlineData(105)]
    [InlineData(106)]
    [InlineData(107)]
    [InlineData(108)]
    public async Task LegsKilledAtRandom_256MiB_Sha256MatchesEveryTime(int seed)
    {
        CancellationToken ct = TestTimeout.Token(600);
        var random = new Random(seed);
        int legs = random.Next(2, 9);

        // Up to legs − 1 victims, each at a random byte within the first part of its share.
        int victims = random.Next(1, legs);
        var killAt = new Dictionary<long, long>();
        foreach (int victim in Enumerable.Range(0, legs).OrderBy(_ => random.Next()).Take(victims))
        {
            killAt[victim] = random.NextInt64(1, 256L * MiB / legs);
        }

        var proxyOptions = new ChaosProxyOptions
        {
            ConfigureConnection = c =>
            {
                if (killAt.TryGetValue(c.Id, out long bytes))
                {
                    c.KillAfter(bytes, random.Next(2) == 0 ? ChaosCutMode.Reset : ChaosCutMode.Fin);
                }
            },
        };
        await using StripeChaos bundle = await StripeChaos.ConnectAsync(legs, proxyOptions, null, ct);
        await bundle.TransferBothWaysAndVerifyAsync(256L * MiB, 16L * MiB, seed, ct);
        Assert.True(bundle.ClientStream.AliveLegCount >= legs - victims);
        Assert.True(bundle.ClientStream.AliveLegCount >= 1);
    }
}
