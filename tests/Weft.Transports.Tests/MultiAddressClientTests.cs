using System.Diagnostics;
using Weft.Testing;
using Weft.Transports.Net;
using Weft.Transports.Registry;
using Weft.Transports.Socks;

namespace Weft.Transports.Tests;

public sealed class MultiAddressClientTests
{
    private static (TransportRegistry Registry, FakeTransport Fake) CreateRegistry()
    {
        var fake = new FakeTransport();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        registry.Register(fake);
        return (registry, fake);
    }

    [Fact]
    public async Task Connect_FirstAlternativeRefused_FallsThroughToNext()
    {
        CancellationToken ct = TestTimeout.Token();
        TransportRegistry registry = TransportRegistry.CreateDefault();
        await using IConnectionListener listener = await registry.ListenAsync(Address.Parse("net:127.0.0.1:0"), cancellationToken: ct);
        Task echo = TestNet.EchoOneAsync(listener, ct);
        var address = MultiAddress.Parse($"net:127.0.0.1:{TestNet.FreeTcpPort()};{listener.Address}");

        await using TransportConnection connection = await new MultiAddressClient(registry).ConnectAsync(address, ct);

        Assert.Equal(listener.Address, connection.Address);
        Assert.Equal([1, 2, 3], await TestNet.RoundTripAsync(connection, [1, 2, 3], ct));
        await echo.WaitAsync(ct);
    }

    [Fact]
    public async Task Connect_UnknownAndInvalidAlternatives_SkippedWithoutDialling()
    {
        CancellationToken ct = TestTimeout.Token();
        var (registry, fake) = CreateRegistry();
        var address = MultiAddress.Parse("cjdns:x;net:nohost;fake:a~unknown-layer;fake:good");

        await using TransportConnection connection = await new MultiAddressClient(registry).ConnectAsync(address, ct);

        Assert.Equal("fake:good", connection.Address.ToString());
        Assert.Equal(1, fake.Dials);
    }

    [Fact]
    public async Task Connect_FallThroughDisabled_TriesOnlyFirstUnderstood()
    {
        CancellationToken ct = TestTimeout.Token();
        var (registry, fake) = CreateRegistry();
        fake.Behaviors["bad"] = FakeBehavior.Fail("refused by script");
        var client = new MultiAddressClient(registry, new MultiAddressClientOptions { FallThrough = false });

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await client.ConnectAsync("cjdns:x;fake:bad;fake:good", ct));

        Assert.Equal(TransportError.AllAttemptsFailed, ex.Error);
        Assert.Equal(["cjdns:x", "fake:bad"], ex.Attempts.Select(a => a.Address.ToString()));
        Assert.Equal(1, fake.Dials);
    }

    [Fact]
    public async Task Connect_EverythingFails_OneExceptionListsEachAlternativeAndReason()
    {
        CancellationToken ct = TestTimeout.Token();
        var (registry, fake) = CreateRegistry();
        fake.Behaviors["bad"] = FakeBehavior.Fail("refused by script");
        int closed = TestNet.FreeTcpPort();
        var address = MultiAddress.Parse($"cjdns:x;net:127.0.0.1:{closed};fake:bad;net:h:0;noauth");

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await new MultiAddressClient(registry).ConnectAsync(address, ct));

        Assert.Equal(TransportError.AllAttemptsFailed, ex.Error);
        Assert.Equal(5, ex.Attempts.Count);
        Assert.Equal(address.Alternatives, ex.Attempts.Select(a => a.Address));
        Assert.Contains("no transport named 'cjdns'", ex.Attempts[0].Error.Message, StringComparison.Ordinal);
        Assert.Equal(TransportError.ConnectFailed, ((TransportException)ex.Attempts[1].Error).Error);
        Assert.Contains("refused by script", ex.Attempts[2].Error.Message, StringComparison.Ordinal);
        Assert.Equal(TransportError.InvalidAddress, ((TransportException)ex.Attempts[3].Error).Error);
        Assert.Contains("is a layer, not a transport", ex.Attempts[4].Error.Message, StringComparison.Ordinal);
        foreach (Address alternative in address.Alternatives)
        {
            Assert.Contains(alternative.ToString(), ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Connect_ProxyNeverAnswers_TimesOutCleanly()
    {
        CancellationToken ct = TestTimeout.Token();
        using var blackhole = new Blackhole();
        TransportRegistry registry = TransportRegistry.CreateDefault(new DefaultTransportOptions
        {
            Onion = new OnionTransportOptions { Proxies = [new NetEndpoint("127.0.0.1", blackhole.Port)] },
        });
        var client = new MultiAddressClient(registry, new MultiAddressClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(300) });
        var stopwatch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await client.ConnectAsync($"onion:abcdefghijklmnop.onion:80;ws://127.0.0.1:{blackhole.Port}", ct));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(10));
        Assert.All(ex.Attempts, a => Assert.Equal(TransportError.TimedOut, ((TransportException)a.Error).Error));
        Assert.Contains("0.3 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_PluginIgnoresCancellation_StillTimesOutAndClosesLateConnection()
    {
        CancellationToken ct = TestTimeout.Token();
        var (registry, fake) = CreateRegistry();
        fake.Behaviors["stubborn"] = FakeBehavior.Succeed(TimeSpan.FromMilliseconds(600), ignoreCancellation: true);
        var client = new MultiAddressClient(registry, new MultiAddressClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(100) });

        var ex = await Assert.ThrowsAsync<TransportException>(async () => await client.ConnectAsync("fake:stubborn", ct));

        Assert.Equal(TransportError.TimedOut, ((TransportException)ex.Attempts[0].Error).Error);
        while (fake.Disposals == 0)
        {
            await Task.Delay(20, ct);
        }

        Assert.Equal(1, fake.Disposals);
    }

    [Fact]
    public async Task Connect_CallerCancels_ThrowsOperationCanceledQuickly()
    {
        CancellationToken ct = TestTimeout.Token();
        using var blackhole = new Blackhole();
        TransportRegistry registry = TransportRegistry.CreateDefault(new DefaultTransportOptions
        {
            Onion = new OnionTransportOptions { Proxies = [new NetEndpoint("127.0.0.1", blackhole.Port)] },
        });
        var client = new MultiAddressClient(registry, new MultiAddressClientOptions { AttemptTimeout = TimeSpan.FromSeconds(60) });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cancel.CancelAfter(200);
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.ConnectAsync("onion:abcdefghijklmnop.onion:80;onion:b.onion:80", cancel.Token));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_FirstAlternativeHangs_RaceWinsAfterStaggerSequentialAfterTimeout(bool race)
    {
        CancellationToken ct = TestTimeout.Token();
        var (registry, fake) = CreateRegistry();
        fake.Behaviors["hang"] = FakeBehavior.Hang();
        var client = new MultiAddressClient(registry, new MultiAddressClientOptions
        {
            AttemptTimeout = TimeSpan.FromSeconds(3),
            RaceStagger = race ? TimeSpan.FromMilliseconds(100) : null,
        });
        var stopwatch = Stopwatch.StartNew();

        await using TransportConnection connection = await client.ConnectAsync("fake:hang;fake:good", ct);

        Assert.Equal("fake:good", connection.Address.ToString());
        if (race)
        {
            Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(90), TimeSpan.FromSeconds(2.5));
        }
        else
        {
            Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public async Task Race_FailureBeforeStagger_StartsNextImmediately()
    {
        CancellationToken ct = TestTimeout.Token();
        var (registry, fake) = CreateRegistry();
        fake.Behaviors["bad"] = FakeBehavior.Fail("refused by script");
        var client = new MultiAddressClient(registry, new MultiAddressClientOptions { RaceStagger = TimeSpan.FromSeconds(5) });
        var stopwatch = Stopwatch.StartNew();

        await using TransportConnection connection = await client.ConnectAsync("fake:bad;fake:good", ct);

        Assert.Equal("fake:good", connection.Address.ToString());
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Race_LateSecondSuccess_LoserIsClosed()
    {
        CancellationToken ct = TestTimeout.Token();
        var (registry, fake) = CreateRegistry();
        fake.Behaviors["slow"] = FakeBehavior.Succeed(TimeSpan.FromMilliseconds(300));
        fake.Behaviors["late"] = FakeBehavior.Succeed(TimeSpan.FromMilliseconds(800), ignoreCancellation: true);
        var client = new MultiAddressClient(registry, new MultiAddressClientOptions { RaceStagger = TimeSpan.FromMilliseconds(50) });

        await using TransportConnection connection = await client.ConnectAsync("fake:slow;fake:late", ct);

        Assert.Equal("fake:slow", connection.Address.ToString());
        Assert.Equal(2, fake.Dials);
        Assert.Equal(0, fake.Disposals);
        while (fake.Disposals == 0)
        {
            // The stubborn loser finishes after the race; the client closes it then.
            await Task.Delay(20, ct);
        }

        Assert.Equal(1, fake.Disposals);
    }

    [Fact]
    public void Options_InvalidTimeout_Rejected()
    {
        var registry = new TransportRegistry();

        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiAddressClient(registry, new MultiAddressClientOptions { AttemptTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiAddressClient(registry, new MultiAddressClientOptions { RaceStagger = TimeSpan.FromSeconds(-1) }));
        Assert.Equal(TimeSpan.FromSeconds(10), new MultiAddressClientOptions().AttemptTimeout);
    }
}
