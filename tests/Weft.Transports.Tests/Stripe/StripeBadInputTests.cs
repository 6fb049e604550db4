using System.Buffers.Binary;
using Weft.Testing;
using Weft.Transports.Registry;
using Weft.Transports.Stripe;

namespace Weft.Transports.Tests.Stripe;

/// <summary>
/// The test plays stripe legs byte by byte against a real listener: refused hellos (unknown bundle id, a leg
/// that does not belong, too many legs, busy, timeout) and malformed or hostile frames on a running bundle,
/// each a clear error and a clean close; plus the happy path in golden bytes (reordering, duplicates, Fin).
/// </summary>
public sealed class StripeBadInputTests
{
    private const int Window = 8 * 1024 * 1024;

    [Fact]
    public async Task Hello_SecondLegOfUnknownBundle_RefusedAsUnknownAndClosed()
    {
        CancellationToken ct = TestTimeout.Token();
        await using IConnectionListener listener = await ListenAsync(2, ct: ct);
        await using RawLeg leg = await RawLeg.ConnectAsync(listener.Address, ct);
        UInt128 id = RawLeg.NewBundleId();
        await leg.SendAsync(RawLeg.Hello(2, 1, id), ct);
        byte[] reply = (await leg.ReadReplyAsync(ct))!;
        Assert.Equal(1, reply[11]); // unknown bundle
        Assert.Equal(id, BinaryPrimitives.ReadUInt128BigEndian(reply.AsSpan(16)));
        Assert.Empty(await leg.ReadToCloseAsync(ct));
    }

    [Fact]
    public async Task Hello_LegsThatDoNotBelong_RefusedWhileTheRealBundleCompletes()
    {
        CancellationToken ct = TestTimeout.Token();
        await using IConnectionListener listener = await ListenAsync(4, ct: ct);
        UInt128 id = RawLeg.NewBundleId();
        await using RawLeg first = await RawLeg.ConnectAsync(listener.Address, ct);
        await first.SendAsync(RawLeg.Hello(2, 0, id), ct);
        Assert.Equal(0, (await first.ReadReplyAsync(ct))![11]);

        // Another leg count, a taken index, and a second "first leg" for the same id: all refused as not belonging.
        foreach (byte[] intruder in new[] { RawLeg.Hello(3, 1, id), RawLeg.Hello(2, 0, id) })
        {
            await using RawLeg bad = await RawLeg.ConnectAsync(listener.Address, ct);
            await bad.SendAsync(intruder, ct);
            Assert.Equal(2, (await bad.ReadReplyAsync(ct))![11]);
            Assert.Empty(await bad.ReadToCloseAsync(ct));
        }

        await using RawLeg second = await RawLeg.ConnectAsync(listener.Address, ct);
        await second.SendAsync(RawLeg.Hello(2, 1, id), ct);
        Assert.Equal(0, (await second.ReadReplyAsync(ct))![11]);
        await using TransportConnection server = await listener.AcceptAsync(ct);
        var stream = Assert.IsType<StripeStream>(server.Stream);
        Assert.Equal(2, stream.LegCount);

        // The bundle works: one chunk on each leg, out of order.
        await second.SendAsync(RawLeg.Data(3, "def"u8), ct);
        await first.SendAsync(RawLeg.Data(0, "abc"u8), ct);
        byte[] got = new byte[6];
        await stream.ReadExactlyAsync(got, ct);
        Assert.Equal("abcdef"u8.ToArray(), got);
    }

    [Fact]
    public async Task Hello_RejoinsThatDoNotFit_RefusedAndClosedWhileTheBundleRuns()
    {
        CancellationToken ct = TestTimeout.Token();
        await using IConnectionListener listener = await ListenAsync(4, ct: ct);
        UInt128 id = RawLeg.NewBundleId();
        await using RawLeg first = await RawLeg.ConnectAsync(listener.Address, ct);
        await first.SendAsync(RawLeg.Hello(2, 0, id), ct);
        Assert.Equal(0, (await first.ReadReplyAsync(ct))![11]);

        // A rejoin of a bundle that is still pending (not running) is unknown: pending bundles are joined, not rejoined.
        Assert.Equal(1, await RejoinStatusAsync(listener, RawLeg.Hello(2, 1, id, status: 5), ct));

        await using RawLeg second = await RawLeg.ConnectAsync(listener.Address, ct);
        await second.SendAsync(RawLeg.Hello(2, 1, id), ct);
        Assert.Equal(0, (await second.ReadReplyAsync(ct))![11]);
        await using TransportConnection server = await listener.AcceptAsync(ct);
        var stream = Assert.IsType<StripeStream>(server.Stream);

        Assert.Equal(1, await RejoinStatusAsync(listener, RawLeg.Hello(2, 1, RawLeg.NewBundleId(), status: 5), ct)); // unknown id
        Assert.Equal(2, await RejoinStatusAsync(listener, RawLeg.Hello(3, 1, id, status: 5), ct)); // another leg count
        Assert.Equal(2, await RejoinStatusAsync(listener, RawLeg.Hello(2, 0, id), ct)); // a new leg 0 for a running id
        Assert.Equal(4, await RejoinStatusAsync(listener, RawLeg.Hello(2, 2, id, status: 5), ct)); // index outside the bundle
        Assert.Equal(4, await RejoinStatusAsync(listener, RawLeg.Hello(2, 1, id, status: 6), ct)); // a status no client sends

        // None of them touched the bundle: both legs alive, never rejoined, and it still delivers.
        Assert.Equal(2, stream.AliveLegCount);
        Assert.All(stream.GetLegStatistics(), l => Assert.Equal(0, l.Rejoins));
        await second.SendAsync(RawLeg.Data(0, "ok"u8), ct);
        byte[] got = new byte[2];
        await stream.ReadExactlyAsync(got, ct);
        Assert.Equal("ok"u8.ToArray(), got);
    }

    private static async Task<int> RejoinStatusAsync(IConnectionListener listener, byte[] hello, CancellationToken ct)
    {
        await using RawLeg leg = await RawLeg.ConnectAsync(listener.Address, ct);
        await leg.SendAsync(hello, ct);
        byte[] reply = (await leg.ReadReplyAsync(ct))!;
        Assert.Empty(await leg.ReadToCloseAsync(ct));
        return reply[11];
    }

    [Theory]
    [InlineData(5, 0)] // more legs than the listener's stripe:4 allows
    [InlineData(2, 2)] // index outside the leg count
    [InlineData(0, 0)] // no legs
    public async Task Hello_LegCountOrIndexNotAllowed_RefusedAsUnsupported(int legs, int index)
    {
        CancellationToken ct = TestTimeout.Token();
        await using IConnectionListener listener = await ListenAsync(4, ct: ct);
        await using RawLeg leg = await RawLeg.ConnectAsync(listener.Address, ct);
        await leg.SendAsync(RawLeg.Hello(legs, index, RawLeg.NewBundleId()), ct);
        Assert.Equal(4, (await leg.ReadReplyAsync(ct))![11]);
    }

    [Fact]
    public async Task Hello_NotStripe_ClosedWithoutAnswer()
    {
        CancellationToken ct = TestTimeout.Token();
        await using IConnectionListener listener = await ListenAsync(2, ct: ct);
        await using RawLeg leg = await RawLeg.ConnectAsync(listener.Address, ct);
        await leg.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n....."u8.ToArray(), ct);
        Assert.Empty(await leg.ReadToCloseAsync(ct));

        await using RawLeg otherVersion = await RawLeg.ConnectAsync(listener.Address, ct);
        await otherVersion.SendAsync(RawLeg.Hello(1, 0, RawLeg.NewBundleId(), version: 2), ct);
        Assert.Empty(await otherVersion.ReadToCloseAsync(ct));
    }

    [Fact]
    public async Task Hello_BundleNeverCompletes_LegsClosedAfterTimeoutAndIdForgotten()
    {
        CancellationToken ct = TestTimeout.Token();
        var options = new StripeOptions { BundleTimeout = TimeSpan.FromMilliseconds(300) };
        await using IConnectionListener listener = await ListenAsync(2, options, ct);
        UInt128 id = RawLeg.NewBundleId();
        await using RawLeg first = await RawLeg.ConnectAsync(listener.Address, ct);
        await first.SendAsync(RawLeg.Hello(2, 0, id), ct);
        Assert.Equal(0, (await first.ReadReplyAsync(ct))![11]);
        Assert.Empty(await first.ReadToCloseAsync(ct)); // closed by the timeout

        await using RawLeg late = await RawLeg.ConnectAsync(listener.Address, ct);
        await late.SendAsync(RawLeg.Hello(2, 1, id), ct);
        Assert.Equal(1, (await late.ReadReplyAsync(ct))![11]);
    }

    [Fact]
    public async Task Hello_TooManyPendingBundles_RefusedAsBusy()
    {
        CancellationToken ct = TestTimeout.Token();
        await using IConnectionListener listener = await ListenAsync(2, new StripeOptions { MaxPendingBundles = 1 }, ct);
        await using RawLeg first = await RawLeg.ConnectAsync(listener.Address, ct);
        await first.SendAsync(RawLeg.Hello(2, 0, RawLeg.NewBundleId()), ct);
        Assert.Equal(0, (await first.ReadReplyAsync(ct))![11]);
        await using RawLeg second = await RawLeg.ConnectAsync(listener.Address, ct);
        await second.SendAsync(RawLeg.Hello(2, 0, RawLeg.NewBundleId()), ct);
        Assert.Equal(3, (await second.ReadReplyAsync(ct))![11]);
    }

    public static TheoryData<string, byte[]> MalformedFrames => new()
    {
        { "oversize chunk (header only)", RawLeg.DataHeader(0, 64 * 1024 + 1) },
        { "empty chunk", RawLeg.DataHeader(0, 0) },
        { "chunk beyond the window", RawLeg.Data(Window, new byte[1]) },
        { "chunk at an impossible offset", RawLeg.Data(long.MaxValue, new byte[1]) },
        { "unknown frame type", [9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "reserved bytes set", [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 42] },
        { "data flags set", [0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 42] },
        { "ack of bytes never sent", RawLeg.Ack(100, Window) },
        { "ack of a fin never sent", RawLeg.Ack(0, Window, finReceived: true) },
        { "ack with unknown flags", [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "two different ends", [.. RawLeg.Fin(10), .. RawLeg.Fin(20)] },
        { "data after the end", [.. RawLeg.Fin(10), .. RawLeg.Data(5, new byte[10])] },
        { "end before received data", [.. RawLeg.Data(100, new byte[10]), .. RawLeg.Fin(50)] },
        { "overlapping chunk", [.. RawLeg.Data(0, new byte[100]), .. RawLeg.Data(50, new byte[100])] },
        { "two lengths at one offset", [.. RawLeg.Data(100, new byte[10]), .. RawLeg.Data(100, new byte[20])] },
        { "overlap inside the reorder buffer", [.. RawLeg.Data(10, new byte[10]), .. RawLeg.Data(15, new byte[10]), .. RawLeg.Data(0, new byte[10])] },
        { "reset with a value", [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task Frame_Malformed_ProtocolErrorResetAndClose(string what, byte[] frames)
    {
        CancellationToken ct = TestTimeout.Token();
        var (listener, leg, server) = await OpenRawBundleAsync(null, ct);
        await using var _l = listener;
        await using var _r = leg;
        await using var _s = server;
        var stream = (StripeStream)server.Stream;
        Task<int> pending = stream.ReadAsync(new byte[1000], ct).AsTask();
        await leg.SendAsync(frames, ct);

        // Bytes that were in order before the error may be read first; then the error.
        StripeException error = await Assert.ThrowsAsync<StripeException>(async () =>
        {
            byte[] buffer = new byte[1000];
            int n = await pending;
            while (n > 0)
            {
                n = await stream.ReadAsync(buffer, ct);
            }
        });
        Assert.Equal(StripeError.ProtocolError, error.Error);
        Assert.Contains("protocol", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StripeException>(async () => await stream.WriteAsync(new byte[1], ct));

        // The raw side is told (Reset, code 1 = protocol error) and the leg is closed.
        byte[] rest = await leg.ReadToCloseAsync(ct);
        Assert.True(rest.Length >= 16, $"{what}: expected a reset frame, got {rest.Length} bytes.");
        Assert.Equal([3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], rest[^16..]);
    }

    [Fact]
    public async Task Frame_FloodOfOutOfOrderChunks_BoundedByWindowThenError()
    {
        CancellationToken ct = TestTimeout.Token();
        var options = new StripeOptions { ReceiveWindowBytes = 256 * 1024 };
        var (listener, leg, server) = await OpenRawBundleAsync(options, ct);
        await using var _l = listener;
        await using var _r = leg;
        await using var _s = server;
        var stream = (StripeStream)server.Stream;

        // Never the first chunk: everything waits in the reorder buffer, up to the window and no further.
        byte[] chunk = new byte[16 * 1024];
        for (long offset = chunk.Length; offset + chunk.Length <= options.ReceiveWindowBytes; offset += chunk.Length)
        {
            await leg.SendAsync(RawLeg.Data(offset, chunk), ct);
        }

        Task<int> pending = stream.ReadAsync(new byte[10], ct).AsTask();
        await Task.Delay(100, ct);
        Assert.False(pending.IsCompleted, "Nothing is in order yet, so nothing may be read.");
        await leg.SendAsync(RawLeg.Data(options.ReceiveWindowBytes, chunk), ct);
        StripeException error = await Assert.ThrowsAsync<StripeException>(() => pending);
        Assert.Equal(StripeError.ProtocolError, error.Error);
        Assert.Contains("window", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frame_OutOfOrderAndDuplicates_DeliveredOnceInOrderThenEndOfStreamAndAcked()
    {
        CancellationToken ct = TestTimeout.Token();
        var (listener, leg, server) = await OpenRawBundleAsync(null, ct);
        await using var _l = listener;
        await using var _r = leg;
        await using var _s = server;
        var stream = (StripeStream)server.Stream;
        byte[] frames =
        [
            .. RawLeg.Data(10, "0123456789"u8), .. RawLeg.Data(0, "abcdefghij"u8),
            .. RawLeg.Data(0, "abcdefghij"u8), .. RawLeg.Data(10, "0123456789"u8), .. RawLeg.Fin(20), .. RawLeg.Fin(20),
        ];
        await leg.SendAsync(frames, ct);
        var (length, hash) = await Patterns.ReadAndHashAsync(stream, cancellationToken: ct);
        Assert.Equal(20, length);
        Assert.Equal(Convert.ToHexString(Patterns.Sha256("abcdefghij0123456789"u8)), Convert.ToHexString(hash));

        // The server answers with data of its own, then its Fin; its Acks count every payload byte on this leg (40).
        await stream.WriteAsync("xyz"u8.ToArray(), ct);
        await stream.CompleteWritesAsync(ct);
        bool sawData = false, sawFin = false, sawFullAck = false;
        byte[] header = new byte[16];
        while (!(sawData && sawFin && sawFullAck))
        {
            await leg.Stream.ReadExactlyAsync(header, ct);
            switch (header[0])
            {
                case 0:
                    Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)));
                    Assert.Equal(0ul, BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8)));
                    byte[] payload = new byte[3];
                    await leg.Stream.ReadExactlyAsync(payload, ct);
                    Assert.Equal("xyz"u8.ToArray(), payload);
                    sawData = true;
                    break;
                case 1:
                    byte[] limit = new byte[8];
                    await leg.Stream.ReadExactlyAsync(limit, ct);
                    long received = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                    Assert.InRange(received, 0, 40);
                    Assert.True(BinaryPrimitives.ReadUInt64BigEndian(limit) >= Window);
                    sawFullAck |= received == 40 && (header[1] & 1) != 0;
                    break;
                case 2:
                    Assert.Equal(3ul, BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8)));
                    sawFin = true;
                    break;
                default:
                    Assert.Fail($"Unexpected frame type {header[0]}.");
                    break;
            }
        }
    }

    [Fact]
    public async Task Dial_ServerRefusesLeg_TransportExceptionNamesTheReason()
    {
        CancellationToken ct = TestTimeout.Token();
        await using var server = await FakeStripeServer.StartAsync(reply: hello => { hello[11] = 2; return hello; }, ct);
        TransportException error = await Assert.ThrowsAsync<TransportException>(() => StripeFixture.Registry().DialAsync(server.Address(2), ct).AsTask());
        Assert.Equal(TransportError.LayerFailed, error.Error);
        Assert.Contains("does not belong", error.Message, StringComparison.Ordinal);
        Assert.Equal(StripeError.Refused, Assert.IsType<StripeException>(error.InnerException).Error);
    }

    [Fact]
    public async Task Dial_ServerAnswersGarbage_LayerFailed()
    {
        CancellationToken ct = TestTimeout.Token();
        await using var server = await FakeStripeServer.StartAsync(reply: _ => new byte[32], ct);
        TransportException error = await Assert.ThrowsAsync<TransportException>(() => StripeFixture.Registry().DialAsync(server.Address(1), ct).AsTask());
        Assert.Equal(TransportError.LayerFailed, error.Error);
        Assert.Contains("stripe hello", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dial_ServerAnswersOtherBundleId_LayerFailed()
    {
        CancellationToken ct = TestTimeout.Token();
        await using var server = await FakeStripeServer.StartAsync(reply: hello => { hello[20] ^= 1; return hello; }, ct);
        TransportException error = await Assert.ThrowsAsync<TransportException>(() => StripeFixture.Registry().DialAsync(server.Address(1), ct).AsTask());
        Assert.Equal(TransportError.LayerFailed, error.Error);
        Assert.Contains("does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dial_ServerNeverAnswers_TimedOut()
    {
        CancellationToken ct = TestTimeout.Token();
        await using var server = await FakeStripeServer.StartAsync(reply: null, ct);
        var registry = StripeFixture.Registry(new StripeOptions { BundleTimeout = TimeSpan.FromMilliseconds(300) });
        TransportException error = await Assert.ThrowsAsync<TransportException>(() => registry.DialAsync(server.Address(2), ct).AsTask());
        Assert.Equal(TransportError.TimedOut, error.Error);
    }

    [Theory]
    [InlineData("stripe")]
    [InlineData("stripe:0")]
    [InlineData("stripe:65")]
    [InlineData("stripe:two")]
    [InlineData("stripe:2:3")]
    public void Address_BadLegCount_InvalidAddress(string part)
    {
        TransportException error = Assert.Throws<TransportException>(() => TransportRegistry.CreateDefault().CreateDialer(Address.Parse($"net:127.0.0.1:1~{part}")));
        Assert.Equal(TransportError.InvalidAddress, error.Error);
        Assert.Contains("e.g. 'stripe:4'", error.Message, StringComparison.Ordinal);
    }

    private static async Task<IConnectionListener> ListenAsync(int legs, StripeOptions? options = null, CancellationToken ct = default) =>
        await StripeFixture.Registry(options).ListenAsync(Address.Parse($"net:127.0.0.1:0~stripe:{legs}"), cancellationToken: ct);

    /// <summary>A one-leg bundle whose client is the raw test leg.</summary>
    private static async Task<(IConnectionListener Listener, RawLeg Leg, TransportConnection Server)> OpenRawBundleAsync(StripeOptions? options, CancellationToken ct)
    {
        IConnectionListener listener = await ListenAsync(1, options, ct);
        RawLeg leg = await RawLeg.ConnectAsync(listener.Address, ct);
        UInt128 id = RawLeg.NewBundleId();
        await leg.SendAsync(RawLeg.Hello(1, 0, id), ct);
        byte[] reply = (await leg.ReadReplyAsync(ct))!;
        int window = options?.ReceiveWindowBytes ?? Window;
        Assert.Equal(RawLeg.Hello(1, 0, id, window), reply);
        TransportConnection server = await listener.AcceptAsync(ct);
        return (listener, leg, server);
    }
}
