using System.Buffers.Binary;
using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Security.Layers;
using Weft.Testing;
using Weft.Transports;
using Weft.Transports.Registry;
using Weft.Transports.Stripe;

namespace Weft.Security.Tests.Stripe;

/// <summary>
/// The peer-identity check of the stripe listener with a handshake per leg (<c>net:…~shs~stripe:2</c>): a leg
/// authenticated as another peer than leg 0 names the bundle's real id (as an on-path observer could) and is
/// refused as not belonging, both while the bundle waits for its legs and as a rejoin of the running bundle;
/// the real peer's legs join and rejoin. The test plays the stripe hellos by hand over real shs legs.
/// </summary>
public sealed class StripeLegIdentityTests
{
    [Fact]
    public async Task Hello_LegOfAnotherAuthenticatedPeer_RefusedAsNotInBundleWhileTheOwnersLegsJoinAndRejoin()
    {
        CancellationToken ct = TestTimeout.Token(60);
        byte[] networkKey = RandomNumberGenerator.GetBytes(32);
        using var serverIdentity = Ed25519Identity.Generate();
        using var alice = Ed25519Identity.Generate();
        using var mallory = Ed25519Identity.Generate();
        TransportRegistry serverRegistry = TransportRegistry.CreateDefault();
        serverRegistry.AddSecretHandshake(serverIdentity, networkKey, SecretHandshake.AllowAnyClient);
        await using IConnectionListener listener = await serverRegistry.ListenAsync(Address.Parse("net:127.0.0.1:0~shs~stripe:2"), cancellationToken: ct);
        string printed = listener.Address.ToString();
        Address legAddress = Address.Parse(printed[..printed.LastIndexOf("~stripe", StringComparison.Ordinal)]);
        TransportRegistry aliceRegistry = TransportRegistry.CreateDefault();
        aliceRegistry.AddSecretHandshake(alice, networkKey);
        TransportRegistry malloryRegistry = TransportRegistry.CreateDefault();
        malloryRegistry.AddSecretHandshake(mallory, networkKey);
        UInt128 id = BinaryPrimitives.ReadUInt128BigEndian(RandomNumberGenerator.GetBytes(16));

        await using TransportConnection leg0 = await aliceRegistry.DialAsync(legAddress, ct);
        Assert.Equal(0, await HelloAsync(leg0, Hello(2, 0, id), ct));

        // Mallory's leg is authenticated (as Mallory) and knows the id, the count and a free index: refused (2).
        await using (TransportConnection intruder = await malloryRegistry.DialAsync(legAddress, ct))
        {
            Assert.Equal(2, await HelloAsync(intruder, Hello(2, 1, id), ct));
            await AssertClosedAsync(intruder, ct);
        }

        await using TransportConnection leg1 = await aliceRegistry.DialAsync(legAddress, ct);
        Assert.Equal(0, await HelloAsync(leg1, Hello(2, 1, id), ct));
        await using TransportConnection accepted = await listener.AcceptAsync(ct);
        var bundle = Assert.IsType<StripeStream>(accepted.Stream);
        Assert.Equal(alice.PublicKey.ToString(), accepted.PeerIdentity);
        Assert.Equal(2, bundle.AliveLegCount);

        // The bundle carries Alice's bytes: one chunk per leg, out of order.
        await leg1.Stream.WriteAsync(Data(3, "def"u8), ct);
        await leg0.Stream.WriteAsync(Data(0, "abc"u8), ct);
        byte[] got = new byte[6];
        await bundle.ReadExactlyAsync(got, ct);
        Assert.Equal("abcdef"u8.ToArray(), got);

        // A rejoin of the running bundle from Mallory: refused too, and Alice's legs are untouched.
        await using (TransportConnection intruder = await malloryRegistry.DialAsync(legAddress, ct))
        {
            Assert.Equal(2, await HelloAsync(intruder, Hello(2, 1, id, status: 5), ct));
            await AssertClosedAsync(intruder, ct);
        }

        Assert.Equal(2, bundle.AliveLegCount);
        Assert.All(bundle.GetLegStatistics(), l => Assert.Equal(0, l.Rejoins));

        // Alice's rejoin of slot 1 is accepted: the server's leg 1 is replaced, and data flows on the new leg.
        await using TransportConnection rejoined = await aliceRegistry.DialAsync(legAddress, ct);
        Assert.Equal(0, await HelloAsync(rejoined, Hello(2, 1, id, status: 5), ct));
        while (bundle.GetLegStatistics()[1].Rejoins != 1)
        {
            await Task.Delay(10, ct); // The server attaches the leg right after its answer is written.
        }

        await rejoined.Stream.WriteAsync(Data(6, "ghi"u8), ct);
        byte[] more = new byte[3];
        await bundle.ReadExactlyAsync(more, ct);
        Assert.Equal("ghi"u8.ToArray(), more);
    }

    /// <summary>Sends a hello and returns the status byte of the server's answer.</summary>
    private static async Task<int> HelloAsync(TransportConnection leg, byte[] hello, CancellationToken ct)
    {
        await leg.Stream.WriteAsync(hello, ct);
        await leg.Stream.FlushAsync(ct);
        byte[] reply = new byte[32];
        await leg.Stream.ReadExactlyAsync(reply, ct);
        Assert.Equal(hello.AsSpan(16).ToArray(), reply.AsSpan(16).ToArray());
        return reply[11];
    }

    private static async Task AssertClosedAsync(TransportConnection leg, CancellationToken ct)
    {
        try
        {
            Assert.Equal(0, await leg.Stream.ReadAsync(new byte[64], ct));
        }
        catch (IOException)
        {
            // A hang-up without the box-stream goodbye is closed too.
        }
    }

    /// <summary>"WEFTSTRP" | version 1 | legs | index | status | window u32 | bundle id (docs/protocol.md, "Striping").</summary>
    private static byte[] Hello(int legs, int index, UInt128 id, byte status = 0)
    {
        byte[] hello = new byte[32];
        "WEFTSTRP"u8.CopyTo(hello);
        hello[8] = 1;
        hello[9] = (byte)legs;
        hello[10] = (byte)index;
        hello[11] = status;
        BinaryPrimitives.WriteUInt32BigEndian(hello.AsSpan(12), 1024 * 1024);
        BinaryPrimitives.WriteUInt128BigEndian(hello.AsSpan(16), id);
        return hello;
    }

    private static byte[] Data(long offset, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(8), (ulong)offset);
        payload.CopyTo(frame.AsSpan(16));
        return frame;
    }
}
