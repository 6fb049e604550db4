using System.Buffers;
using Weft.Tunnel.Routing;

namespace Weft.Tunnel.Tests;

public sealed class RouteCodecTests
{
    [Fact]
    public void Open_GoldenBytes()
    {
        byte[] frame = RouteCodec.Encode(new OpenRequest("office", new TargetRequest(false, "10.0.0.5", 22)));
        byte[] expected =
        [
            1, 0x01, 0, 22,                                    // version 1, Open, body 22
            6, (byte)'o', (byte)'f', (byte)'f', (byte)'i', (byte)'c', (byte)'e',
            1, 0x10, 0, 11,                                    // inner: version 1, TcpTarget, body 11
            0, 22,                                             // port 22
            8, (byte)'1', (byte)'0', (byte)'.', (byte)'0', (byte)'.', (byte)'0', (byte)'.', (byte)'5',
        ];
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Reply_GoldenBytes_RoundTrip()
    {
        byte[] frame = RouteCodec.Encode(new RouteReply(RouteStatus.NoSuchServer, RouteHop.Relay, "no server named 'x'"));
        Assert.Equal(new byte[] { 1, 0x80, 0, 23, 4, 1, 0, 19 }, frame[..8]);
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(RouteCodec.ReadResult.Complete, RouteCodec.TryReadFrame(ref buffer, out RouteMessage? message));
        Assert.Equal(new RouteReply(RouteStatus.NoSuchServer, RouteHop.Relay, "no server named 'x'"), message);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void EveryMessage_RoundTrips()
    {
        string key = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        RouteMessage[] messages =
        [
            new OpenRequest("a", new TargetRequest(true, "::1", 53)),
            new IncomingRequest(key, new TargetRequest(false, "example.com", 443)),
            new RegisterRequest(["office", "lab-2"]),
            new ListenRequest("127.0.0.1", 0),
            new AcceptedNotice(9000, "127.0.0.1:5555"),
            new TargetRequest(false, "h", 1),
        ];
        foreach (RouteMessage message in messages)
        {
            var buffer = new ReadOnlySequence<byte>(RouteCodec.Encode(message));
            Assert.Equal(RouteCodec.ReadResult.Complete, RouteCodec.TryReadFrame(ref buffer, out RouteMessage? decoded));
            Assert.Equal(message.Type, decoded!.Type);
            Assert.Equal(RouteCodec.Encode(message), RouteCodec.Encode(decoded));
        }
    }

    [Fact]
    public void TryReadFrame_ConsumesNothingUntilWhole()
    {
        byte[] frame = RouteCodec.Encode(new OpenRequest("office", new TargetRequest(false, "h", 1)));
        for (int i = 0; i < frame.Length; i++)
        {
            var partial = new ReadOnlySequence<byte>(frame, 0, i);
            Assert.Equal(RouteCodec.ReadResult.Incomplete, RouteCodec.TryReadFrame(ref partial, out _));
            Assert.Equal(i, partial.Length);
        }
    }

    [Fact]
    public void OversizeLength_RefusedBeforeBody()
    {
        var buffer = new ReadOnlySequence<byte>([1, 0x01, 0xFF, 0xFF]);
        var ex = Assert.Throws<RouteProtocolException>(() => RouteCodec.TryReadFrame(ref buffer, out _));
        Assert.Equal("bad request: 65535 bytes is over the 1024-byte limit", ex.Message);
    }

    [Fact]
    public void RandomMutations_ParseOrCleanError()
    {
        var random = new Random(42);
        byte[][] seeds =
        [
            RouteCodec.Encode(new OpenRequest("office", new TargetRequest(false, "10.0.0.5", 22))),
            RouteCodec.Encode(new RegisterRequest(["office"])),
            RouteCodec.Encode(new RouteReply(RouteStatus.Ok, RouteHop.Server, "fine")),
        ];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] frame = (byte[])seeds[i % seeds.Length].Clone();
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits; e++)
            {
                switch (random.Next(3))
                {
                    case 0:
                        frame[random.Next(frame.Length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        frame = frame[..random.Next(frame.Length)];
                        break;
                    default:
                        frame = [.. frame, (byte)random.Next(256)];
                        break;
                }

                if (frame.Length == 0)
                {
                    frame = [1];
                }
            }

            var buffer = new ReadOnlySequence<byte>(frame);
            try
            {
                RouteCodec.TryReadFrame(ref buffer, out _);
            }
            catch (RouteProtocolException ex)
            {
                Assert.False(string.IsNullOrEmpty(ex.Message));
            }
        }
    }
}
