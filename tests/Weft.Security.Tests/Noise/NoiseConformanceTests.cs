using Weft.Security.Tests.Layers;

namespace Weft.Security.Tests.Noise;

/// <summary>The conformance suite on the stream a <c>noise</c> address produces (a <see cref="NoiseStream"/>).</summary>
public abstract class NoiseLayerConformanceTests : SecureLayerConformanceTests
{
    protected override Type SecureStreamType => typeof(NoiseStream);
}

public sealed class NoiseOverNetConformanceTests : NoiseLayerConformanceTests
{
    protected override string ListenAddress => "net:127.0.0.1:0~noise";
}

public sealed class NoiseOverWebSocketConformanceTests : NoiseLayerConformanceTests
{
    protected override string ListenAddress => "ws://127.0.0.1:0/noise~noise";

    // ClientWebSocket and Kestrel abort the WebSocket when a pending receive is cancelled.
    protected override bool UsableAfterCanceledRead => false;

    protected override long LargeTransferBytes => 8L * 1024 * 1024;
}

/// <summary>The stack <c>weft</c> uses by default: a yamux <see cref="Weft.Mux.MuxStream"/> over noise over TCP.</summary>
public sealed class MuxOverNoiseOverNetConformanceTests : MuxOverAddressConformanceTests
{
    protected override string ListenAddress => "net:127.0.0.1:0~noise";
}
