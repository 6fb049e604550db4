using Weft.Testing;
using Weft.Transports.Registry;
using Weft.Transports.Stripe;

namespace Weft.Transports.Tests.Stripe;

/// <summary>
/// The connected-stream conformance suite on a <see cref="StripeStream"/>: a registry listens on
/// <c>net:127.0.0.1:0~stripe:N</c> and a second registry dials its address, so N loopback TCP legs carry one
/// bundle. Half-close is <see cref="StripeStream.CompleteWritesAsync"/>, abort is <see cref="StripeStream.Abort"/>.
/// </summary>
public abstract class StripeConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    /// <summary>Legs per bundle.</summary>
    protected abstract int Legs { get; }

    /// <summary>The transport of every leg (the listen address left of <c>~stripe</c>).</summary>
    protected virtual string Transport => "net:127.0.0.1:0";

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        var (client, server, listener) = await StripeFixture.ConnectAsync(Legs, cancellationToken: cancellationToken, transport: Transport);
        var first = Assert.IsType<StripeStream>(client.Stream);
        Assert.IsType<StripeStream>(server.Stream);
        Assert.Equal(Legs, first.LegCount);
        return new StreamPair(client.Stream, server.Stream, () => listener.DisposeAsync());
    }

    protected override ValueTask CompleteWritesAsync(Stream stream) => ((IHalfCloseable)stream).CompleteWritesAsync();

    protected override ValueTask AbortAsync(Stream stream)
    {
        ((StripeStream)stream).Abort();
        return ValueTask.CompletedTask;
    }
}

public sealed class StripeOneLegConformanceTests : StripeConformanceTests
{
    protected override int Legs => 1;
}

public sealed class StripeTwoLegsConformanceTests : StripeConformanceTests
{
    protected override int Legs => 2;
}

public sealed class StripeEightLegsConformanceTests : StripeConformanceTests
{
    protected override int Legs => 8;
}

/// <summary>
/// Three WebSocket legs (<c>ws://127.0.0.1:0/stripe~stripe:3</c>): each leg is one WebSocket, so the bundle runs
/// over the message-based transport too. A cancelled read cancels only the bundle's wait, never a leg's
/// receive, so the stream stays usable (unlike a bare WebSocket).
/// </summary>
public sealed class StripeOverWebSocketConformanceTests : StripeConformanceTests
{
    protected override int Legs => 3;

    protected override string Transport => "ws://127.0.0.1:0/stripe";
}
