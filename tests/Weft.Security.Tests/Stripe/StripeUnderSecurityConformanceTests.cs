using Weft.Mux;
using Weft.Security.Tests.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Stripe;

namespace Weft.Security.Tests.Stripe;

/// <summary>
/// The connected-stream conformance suite on secret-handshake over a stripe bundle
/// (<c>net:127.0.0.1:0~stripe:N~shs</c>): N TCP legs, bundled, then one handshake and one box-stream over the
/// bundle, which authenticates every byte that any leg carries.
/// </summary>
public abstract class ShsOverStripeConformanceTests : ShsLayerConformanceTests
{
    /// <summary>Legs per bundle.</summary>
    protected abstract int Legs { get; }

    protected override string ListenAddress => $"net:127.0.0.1:0~stripe:{Legs}~shs";
}

public sealed class ShsOverStripeOneLegConformanceTests : ShsOverStripeConformanceTests
{
    protected override int Legs => 1;
}

public sealed class ShsOverStripeTwoLegsConformanceTests : ShsOverStripeConformanceTests
{
    protected override int Legs => 2;
}

public sealed class ShsOverStripeEightLegsConformanceTests : ShsOverStripeConformanceTests
{
    protected override int Legs => 8;
}

/// <summary>
/// The conformance suite on a yamux <see cref="MuxStream"/> over a stripe bundle (<c>net:127.0.0.1:0~stripe:N</c>):
/// the mux session runs over the bundle stream.
/// </summary>
public abstract class MuxOverStripeConformanceTests : MuxOverAddressConformanceTests
{
    /// <summary>Legs per bundle.</summary>
    protected abstract int Legs { get; }

    protected override string ListenAddress => $"net:127.0.0.1:0~stripe:{Legs}";
}

public sealed class MuxOverStripeOneLegConformanceTests : MuxOverStripeConformanceTests
{
    protected override int Legs => 1;
}

public sealed class MuxOverStripeTwoLegsConformanceTests : MuxOverStripeConformanceTests
{
    protected override int Legs => 2;
}

public sealed class MuxOverStripeEightLegsConformanceTests : MuxOverStripeConformanceTests
{
    protected override int Legs => 8;
}

/// <summary>The stack <c>weft</c> would use for a striped relay link: mux over shs over four striped TCP legs.</summary>
public sealed class MuxOverShsOverStripeConformanceTests : MuxOverStripeConformanceTests
{
    protected override int Legs => 4;

    protected override string ListenAddress => $"net:127.0.0.1:0~stripe:{Legs}~shs";
}

/// <summary>Which stream an shs-over-stripe address produces, and that the bundle under it is a stripe bundle.</summary>
public sealed class ShsOverStripeStackTests
{
    [Fact]
    public async Task Dial_ShsOverStripe_BoxStreamAuthenticatedOverABundleOfFourLegs()
    {
        CancellationToken ct = TestTimeout.Token();
        var (client, server, listener) = await SecureLayerConformanceTests.ConnectAsync("net:127.0.0.1:0~stripe:4~shs", ct);
        await using var _l = listener;
        await using var _c = client;
        await using var _s = server;
        Assert.IsType<BoxStream>(client.Stream);
        Assert.Equal(ConnectionAuthentication.Authenticated, client.Authentication);
        Assert.Equal(ConnectionAuthentication.Authenticated, server.Authentication);
        Assert.Equal(["stripe", "shs"], client.Address.Layers.Select(l => l.Name));
        Assert.Equal("4", client.Address.Layers[0].Fields[0]);

        // A host finds the bundle under the secure layer without knowing about stripe (what weft status shows).
        Assert.Equal(4, Assert.IsType<StripeStream>(client.FindLayerStream<ILegStatisticsSource>()).GetLegStatistics().Count);
        Assert.Equal(4, Assert.IsType<StripeStream>(server.FindLayerStream<ILegStatisticsSource>()).LegCount);
        Assert.Null(server.FindLayerStream<MuxStream>());
    }
}
