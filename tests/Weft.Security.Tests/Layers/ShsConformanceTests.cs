namespace Weft.Security.Tests.Layers;

/// <summary>The conformance suite on the stream an <c>shs</c> address produces (a <see cref="BoxStream"/>).</summary>
public abstract class ShsLayerConformanceTests : SecureLayerConformanceTests
{
    protected override Type SecureStreamType => typeof(BoxStream);
}

public sealed class ShsOverNetConformanceTests : ShsLayerConformanceTests
{
    protected override string ListenAddress => "net:127.0.0.1:0~shs";
}

public sealed class ShsOverWebSocketConformanceTests : ShsLayerConformanceTests
{
    protected override string ListenAddress => "ws://127.0.0.1:0/shs~shs";

    // ClientWebSocket and Kestrel abort the WebSocket when a pending receive is cancelled.
    protected override bool UsableAfterCanceledRead => false;

    protected override long LargeTransferBytes => 8L * 1024 * 1024;
}

/// <summary>A yamux <see cref="Weft.Mux.MuxStream"/> over shs over TCP (what multiserver-facing links use).</summary>
public sealed class MuxOverShsOverNetConformanceTests : MuxOverAddressConformanceTests
{
    protected override string ListenAddress => "net:127.0.0.1:0~shs";
}
