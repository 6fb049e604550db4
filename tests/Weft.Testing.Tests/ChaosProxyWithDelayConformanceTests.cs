namespace Weft.Testing.Tests;

/// <summary>The conformance suite through a proxy that adds 2 ms ± 2 ms each way: ordering and half-close must survive jitter.</summary>
public sealed class ChaosProxyWithDelayConformanceTests : ChaosProxyConformanceTests
{
    protected override ChaosProxyOptions? ProxyOptions => new() { Delay = TimeSpan.FromMilliseconds(2), Jitter = TimeSpan.FromMilliseconds(2) };

    protected override long LargeTransferBytes => 8L * 1024 * 1024;
}
