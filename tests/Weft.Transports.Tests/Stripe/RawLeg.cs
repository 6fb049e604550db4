using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.Transports.Tests.Stripe;

/// <summary>
/// The test plays one stripe leg byte by byte over TCP. The encoders here are written from docs/protocol.md,
/// not from the implementation, so they double as golden bytes of the wire format.
/// </summary>
internal sealed class RawLeg : IAsyncDisposable
{
    private RawLeg(TcpClient client)
    {
        Client = client;
        Stream = client.GetStream();
    }

    public TcpClient Client { get; }

    public NetworkStream Stream { get; }

    public static async Task<RawLeg> ConnectAsync(Address listenerAddress, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, Port(listenerAddress), cancellationToken);
        return new RawLeg(client);
    }

    public static int Port(Address address) => int.Parse(address.Transport.Fields[^1], System.Globalization.CultureInfo.InvariantCulture);

    public static UInt128 NewBundleId() => BinaryPrimitives.ReadUInt128BigEndian(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>"WEFTSTRP" | version 1 | legs | index | status | window u32 BE | bundle id (16, BE).</summary>
    public static byte[] Hello(int legs, int index, UInt128 bundleId, int window = 8 * 1024 * 1024, byte status = 0, byte version = 1)
    {
        byte[] hello = new byte[32];
        "WEFTSTRP"u8.CopyTo(hello);
        hello[8] = version;
        hello[9] = (byte)legs;
        hello[10] = (byte)index;
        hello[11] = status;
        BinaryPrimitives.WriteUInt32BigEndian(hello.AsSpan(12), (uint)window);
        BinaryPrimitives.WriteUInt128BigEndian(hello.AsSpan(16), bundleId);
        return hello;
    }

    /// <summary>Data: type 0 | flags 0 | 0 u16 | length u32 | offset u64 | payload.</summary>
    public static byte[] Data(long offset, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[16 + payload.Length];
        frame[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(8), (ulong)offset);
        payload.CopyTo(frame.AsSpan(16));
        return frame;
    }

    /// <summary>A Data header alone, claiming <paramref name="length"/> bytes.</summary>
    public static byte[] DataHeader(long offset, uint length)
    {
        byte[] frame = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), length);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(8), (ulong)offset);
        return frame;
    }

    /// <summary>Ack: type 1 | flags (1 = FIN received) | 0 u16 | 0 u32 | leg bytes received u64 | window limit u64.</summary>
    public static byte[] Ack(long legReceived, long windowLimit, bool finReceived = false)
    {
        byte[] frame = new byte[24];
        frame[0] = 1;
        frame[1] = finReceived ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(8), (ulong)legReceived);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(16), (ulong)windowLimit);
        return frame;
    }

    /// <summary>Fin: type 2 | 0 | 0 u16 | 0 u32 | final offset u64.</summary>
    public static byte[] Fin(long finalOffset)
    {
        byte[] frame = new byte[16];
        frame[0] = 2;
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(8), (ulong)finalOffset);
        return frame;
    }

    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken) => await Stream.WriteAsync(bytes, cancellationToken);

    /// <summary>Reads the server's 32-byte answer to a hello; returns null if the leg was closed instead.</summary>
    public async Task<byte[]?> ReadReplyAsync(CancellationToken cancellationToken)
    {
        byte[] reply = new byte[32];
        try
        {
            await Stream.ReadExactlyAsync(reply, cancellationToken);
            return reply;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads until the server closes the leg; returns every byte read (a reset counts as the end).</summary>
    public async Task<byte[]> ReadToCloseAsync(CancellationToken cancellationToken)
    {
        using var all = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await Stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                all.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
        }

        return all.ToArray();
    }

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        return ValueTask.CompletedTask;
    }
}
