using System.Buffers;
using System.Buffers.Binary;
using Weft.Mux;
using Weft.Testing;
using Weft.Transports;
using Weft.Tunnel.Relay;
using Weft.Tunnel.Routing;
using Weft.Tunnel.Tests.Support;

namespace Weft.Tunnel.Tests;

/// <summary>A raw agent (a mux session over shs with the client key) sends malformed route requests to the relay.</summary>
public sealed class BadRequestTests
{
    public static TheoryData<string, byte[], string> BadRequests => new()
    {
        { "truncated", [1, 0x01, 0, 20, 6, (byte)'o', (byte)'f'], "relay: bad request: truncated request (3 of 20 bytes, then end of stream)" },
        { "truncated header", [1, 0x01], "relay: bad request: truncated request header (2 of 4 bytes, then end of stream)" },
        { "oversized", [1, 0x01, 0x13, 0x88], "relay: bad request: 5000 bytes is over the 1024-byte limit" },
        { "wrong version", [2, 0x01, 0, 0], "relay: unsupported route protocol version 2 (this hop speaks version 1)" },
        { "unknown type", [1, 0x77, 0, 0], "relay: bad request: unknown request type 0x77" },
        { "garbage", [0x47, 0x45, 0x54, 0x20, 0x2f, 0x20], "relay: unsupported route protocol version 71 (this hop speaks version 1)" },
        { "inner not a target", [1, 0x01, 0, 11, 6, (byte)'o', (byte)'f', (byte)'f', (byte)'i', (byte)'c', (byte)'e', 1, 0x03, 0, 0], "relay: bad request: the inner request must be a TCP or UDP target, not type 0x03" },
        { "trailing bytes", [1, 0x10, 0, 6, 0, 22, 1, (byte)'h', 9, 9], "relay: bad request: 2 unexpected bytes after the request" },
        { "incoming from agent", Incoming(), "relay: bad request: agents may not send Incoming requests to a relay" },
        { "bad server name", [1, 0x01, 0, 4, 2, (byte)'A', (byte)'!', 0], "relay: bad request: 'A!' is not a server name" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Relay_BadRequest_CleanRefusalThenHealthySession(string name, byte[] request, string expected)
    {
        _ = name;
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        await using var target = new TargetServer();
        var (relay, _, _) = await harness.StartChainAsync();
        await using MuxSession raw = await ConnectRawAsync(harness, relay, ct);

        MuxStream stream = await raw.OpenStreamAsync(ct);
        await stream.WriteAsync(request, ct);
        stream.CompleteWrites();
        RouteReply reply = await ReadReplyAsync(stream, ct);
        Assert.Equal(expected, TunnelException.Describe(reply.Hop, reply.Message));
        Assert.NotEqual(RouteStatus.Ok, reply.Status);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], ct));
        await stream.DisposeAsync();

        // The session is unharmed: a valid request on it still works.
        MuxStream ok = await raw.OpenStreamAsync(ct);
        await ok.WriteAsync(RouteCodec.Encode(new OpenRequest("office", new TargetRequest(false, "127.0.0.1", target.Port))), ct);
        Assert.Equal(RouteStatus.Ok, (await ReadReplyAsync(ok, ct)).Status);
        await ok.WriteAsync("ping"u8.ToArray(), ct);
        byte[] echo = new byte[4];
        await ok.ReadExactlyAsync(echo, ct);
        Assert.Equal("ping"u8.ToArray(), echo);
        await ok.DisposeAsync();
    }

    [Fact]
    public async Task Relay_SilentStream_TimesOutWithRefusal()
    {
        CancellationToken ct = TestTimeout.Token(60);
        await using var harness = new TunnelHarness();
        TunnelRelay relay = harness.Own(new TunnelRelay(new TunnelRelayOptions
        {
            Registry = harness.Registry(harness.RelayId),
            Listen = ["net:127.0.0.1:0~shs"],
            Acl = harness.DefaultRelayAcl(),
            RequestTimeout = TimeSpan.FromMilliseconds(300),
        }));
        await relay.StartAsync(ct);
        await using MuxSession raw = await ConnectRawAsync(harness, relay, ct);
        MuxStream stream = await raw.OpenStreamAsync(ct);
        await stream.WriteAsync(new byte[] { 1, 0x01 }, ct);
        RouteReply reply = await ReadReplyAsync(stream, ct);
        Assert.Equal(RouteStatus.TimedOut, reply.Status);
        Assert.Equal("no complete request within 0.3 s", reply.Message);
    }

    [Fact]
    public async Task Relay_FloodOfBadStreams_EachRefused_NoLeak()
    {
        CancellationToken ct = TestTimeout.Token(90);
        await using var harness = new TunnelHarness();
        var (relay, _, _) = await harness.StartChainAsync();
        await using MuxSession raw = await ConnectRawAsync(harness, relay, ct);
        var random = new Random(3);
        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            byte[] junk = new byte[random.Next(1, 64)];
            lock (random)
            {
                random.NextBytes(junk);
            }

            junk[0] = 1;
            MuxStream s = await raw.OpenStreamAsync(ct);
            await s.WriteAsync(junk, ct);
            s.CompleteWrites();
            RouteReply reply = await ReadReplyAsync(s, ct);
            await s.DisposeAsync();
            return reply.Status;
        });
        RouteStatus[] statuses = await Task.WhenAll(tasks);
        Assert.All(statuses, s => Assert.NotEqual(RouteStatus.Ok, s));
        await RefusalTests.WaitUntilAsync(() => relay.GetStatus().ActiveStreams == 0, ct);
        Assert.Equal(3, relay.GetStatus().Sessions.Count);
        Assert.Equal(200, relay.GetStatus().RefusedStreams);
    }

    private static byte[] Incoming()
    {
        byte[] frame = RouteCodec.Encode(new IncomingRequest(Convert.ToBase64String(new byte[32]), new TargetRequest(false, "127.0.0.1", 22)));
        return frame;
    }

    internal static async Task<MuxSession> ConnectRawAsync(TunnelHarness harness, TunnelRelay relay, CancellationToken ct)
    {
        var client = new MultiAddressClient(harness.Registry(harness.ClientId));
        TransportConnection connection = await client.ConnectAsync(relay.BoundAddresses[0], ct);
        return MuxSession.CreateClient(connection.Stream);
    }

    internal static async Task<RouteReply> ReadReplyAsync(Stream stream, CancellationToken ct)
    {
        byte[] header = new byte[RouteWire.HeaderSize];
        await stream.ReadExactlyAsync(header, ct);
        int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2));
        byte[] frame = new byte[header.Length + length];
        header.CopyTo(frame, 0);
        await stream.ReadExactlyAsync(frame.AsMemory(header.Length), ct);
        var sequence = new ReadOnlySequence<byte>(frame);
        Assert.Equal(RouteCodec.ReadResult.Complete, RouteCodec.TryReadFrame(ref sequence, out RouteMessage? message));
        return Assert.IsType<RouteReply>(message);
    }
}
