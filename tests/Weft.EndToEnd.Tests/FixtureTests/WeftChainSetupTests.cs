using Weft.EndToEnd.Fixtures;
using Weft.Testing;

namespace Weft.EndToEnd.Tests.FixtureTests;

/// <summary>The chain's setup: keys from the real <c>weft keygen</c>, configs that name them.</summary>
public sealed class WeftChainSetupTests
{
    [Fact]
    public async Task Create_KeygenGivesThreeKeysAndConfigsUseThem()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using WeftChain chain = await WeftChain.CreateAsync(new WeftChainOptions { Target = new(System.Net.IPAddress.Loopback, 9) }, ct);

        Assert.Equal(3, new[] { chain.RelayKey, chain.ServerKey, chain.ClientKey }.Distinct().Count());
        Assert.All(new[] { chain.RelayKey, chain.ServerKey, chain.ClientKey }, k => Assert.Equal(32, Convert.FromBase64String(k).Length));
        string client = await File.ReadAllTextAsync(Path.Combine(chain.Directory, "client.yaml"), ct);
        Assert.Contains($"~noise:{chain.RelayKey}", client, StringComparison.Ordinal);
        string relay = await File.ReadAllTextAsync(Path.Combine(chain.Directory, "relay.yaml"), ct);
        Assert.Contains(chain.ServerKey, relay, StringComparison.Ordinal);
        Assert.Contains(chain.ClientKey, relay, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", relay, StringComparison.OrdinalIgnoreCase);
    }
}
