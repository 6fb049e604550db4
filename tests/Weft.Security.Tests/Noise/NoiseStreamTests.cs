using System.Buffers.Binary;
using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Testing;

namespace Weft.Security.Tests.Noise;

/// <summary>
/// The transport phase on recorded bytes: framing, rekeying, and every damaged input (tampered, replayed, reordered,
/// dropped, truncated, undersize) ending in a clear, permanent error.
/// </summary>
public sealed class NoiseStreamTests
{
    private static readonly byte[] s_key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Write_100000Bytes_LargestSendMessageThenMultipleOf512ThenRestThenClose()
    {
        byte[] wire = Record(Patterns.Create(100_000));

        // 65 024 + 34 816 + 160 bytes, each behind a 2-byte length and with a 16-byte tag, then the 18-byte close.
        Assert.Equal(100_000 + (3 * 18) + 18, wire.Length);
        Assert.Equal(65_024 + 16, BinaryPrimitives.ReadUInt16BigEndian(wire));
        Assert.Equal(34_816 + 16, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(65_042)));
        Assert.Equal(160 + 16, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(65_042 + 34_834)));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(wire.Length - 18)));
    }

    [Theory]
    [InlineData(65_536, new[] { 65_024, 512 })] // a 64 KiB write: two whole multiples of 512
    [InlineData(20_000, new[] { 19_968, 32 })] // a large rest is split at a multiple of 512
    [InlineData(16_383, new[] { 16_383 })] // below 16 KiB a second AEAD call does not pay: one message
    [InlineData(16_384, new[] { 16_384 })]
    [InlineData(65_023, new[] { 64_512, 511 })]
    [InlineData(130_048, new[] { 65_024, 65_024 })]
    [InlineData(1, new[] { 1 })]
    public void Write_MessagePlaintextSizes(int size, int[] expected)
    {
        byte[] data = Patterns.Create(size);
        byte[] wire = Record(data);

        var sizes = new List<int>();
        int at = 0;
        while (at < wire.Length - 18)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(at));
            sizes.Add(length - 16);
            at += 2 + length;
        }

        Assert.Equal(expected, sizes);
        Assert.Equal(wire.Length - 18, at);
    }

    [Fact]
    public async Task Read_LargestNoiseMessages_AcceptedThoughThisSenderNeverSendsThem()
    {
        // Other Noise peers (Go flynn/noise) send 65 519-byte plaintexts: the largest a 65 535-byte message holds.
        using var sender = new NoiseCipherState(s_key, NoiseWire.RekeyInterval);
        using var wire = new MemoryStream();
        byte[] data = Patterns.Create(3 * 65_519);
        for (int i = 0; i < 3; i++)
        {
            byte[] frame = new byte[2 + 65_535];
            BinaryPrimitives.WriteUInt16BigEndian(frame, 65_535);
            sender.Encrypt(data.AsSpan(i * 65_519, 65_519), [], frame.AsSpan(2));
            wire.Write(frame);
        }

        byte[] close = new byte[18];
        BinaryPrimitives.WriteUInt16BigEndian(close, 16);
        sender.Encrypt([], [], close.AsSpan(2));
        wire.Write(close);

        (byte[] plain, Exception? error) = await ReadAllAsync(wire.ToArray());

        Assert.Null(error);
        Assert.Equal(data, plain);
    }

    [Fact]
    public async Task Read_RecordedStream_YieldsPlaintextThenCleanEnd()
    {
        byte[] data = Patterns.Create(200_000);
        (byte[] plain, Exception? error) = await ReadAllAsync(Record(data));

        Assert.Null(error);
        Assert.Equal(data, plain);
    }

    [Fact]
    public async Task ReadWrite_MoreMessagesThanTheRekeyInterval_BothSidesRekeyInStep()
    {
        // 70 000 one-byte writes are 70 000 messages: the key changes after message 65 535.
        CancellationToken ct = TestTimeout.Token(60);
        var (a, b) = InMemoryDuplex.CreatePair();
        await using NoiseStream writer = Create(a, sendKey: s_key);
        await using NoiseStream reader = Create(b, receiveKey: s_key);
        Task<byte[]> reading = Fixtures.ReadToEndAsync(reader, ct);
        byte[] data = Patterns.Create(70_000);
        for (int i = 0; i < data.Length; i++)
        {
            writer.WriteByte(data[i]);
        }

        await writer.CompleteWritesAsync(ct);
        Assert.Equal(data, await reading);
    }

    [Fact]
    public async Task Read_MessageAfterRekeyFromANonRekeyingSender_FailsAuthentication()
    {
        // A sender that never rekeys is out of step from message 65 536 on: proof that the receiver does rekey.
        var sender = new NoiseCipherState(s_key, rekeyInterval: 0);
        using var wire = new MemoryStream();
        byte[] frame = new byte[2 + 1 + 16];
        for (int i = 0; i <= 65536; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame, 17);
            sender.Encrypt([(byte)i], [], frame.AsSpan(2));
            wire.Write(frame);
        }

        (byte[] plain, Exception? error) = await ReadAllAsync(wire.ToArray());

        Assert.Equal(65536, plain.Length);
        Assert.Equal(SecureChannelError.MessageAuthenticationFailed, Assert.IsType<SecureChannelException>(error).Error);
    }

    [Fact]
    public async Task Read_AnyByteTampered_MessageAuthenticationFailedAndNoTamperedPlaintext()
    {
        byte[] wire = Record("first message"u8.ToArray(), "second message"u8.ToArray());
        int[] lengthFields = [0, 1, 31, 32, 63, 64]; // 2 + 13 + 16 = 31, 31 + 2 + 14 + 16 = 63
        for (int at = 0; at < wire.Length; at++)
        {
            byte[] tampered = (byte[])wire.Clone();
            tampered[at] ^= 0x80;
            (byte[] plain, Exception? error) = await ReadAllAsync(tampered);

            // A changed length moves the frame boundary: the message fails authentication, or the data runs out.
            SecureChannelError expected = SecureChannelError.MessageAuthenticationFailed;
            SecureChannelError actual = Assert.IsType<SecureChannelException>(error).Error;
            Assert.True(actual == expected || (lengthFields.Contains(at) && actual is SecureChannelError.UnexpectedHangup or SecureChannelError.ProtocolViolation), $"byte {at}: {actual}");
            // Only whole, authentic messages before the damage are delivered.
            string delivered = System.Text.Encoding.ASCII.GetString(plain);
            Assert.True(delivered is "" or "first message" or "first messagesecond message", $"byte {at}: '{delivered}'");
        }
    }

    [Fact]
    public async Task Read_ReplayedMessage_MessageAuthenticationFailed()
    {
        byte[] wire = Record("pay 1"u8.ToArray(), "pay 2"u8.ToArray());
        int first = 2 + 5 + 16;
        byte[] replayed = [.. wire.AsSpan(0, first), .. wire.AsSpan(0, first), .. wire.AsSpan(first)];

        (byte[] plain, Exception? error) = await ReadAllAsync(replayed);

        Assert.Equal("pay 1"u8.ToArray(), plain);
        Assert.Equal(SecureChannelError.MessageAuthenticationFailed, Assert.IsType<SecureChannelException>(error).Error);
        Assert.Contains("replayed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_ReorderedOrDroppedMessage_MessageAuthenticationFailed()
    {
        byte[] wire = Record("one"u8.ToArray(), "two"u8.ToArray(), "three"u8.ToArray());
        int m1 = 2 + 3 + 16;
        int m2 = 2 + 3 + 16;
        byte[] swapped = [.. wire.AsSpan(m1, m2), .. wire.AsSpan(0, m1), .. wire.AsSpan(m1 + m2)];
        byte[] dropped = [.. wire.AsSpan(0, m1), .. wire.AsSpan(m1 + m2)];

        Assert.Equal(SecureChannelError.MessageAuthenticationFailed, Assert.IsType<SecureChannelException>((await ReadAllAsync(swapped)).Error).Error);
        (byte[] plain, Exception? error) = await ReadAllAsync(dropped);
        Assert.Equal("one"u8.ToArray(), plain);
        Assert.Equal(SecureChannelError.MessageAuthenticationFailed, Assert.IsType<SecureChannelException>(error).Error);
    }

    [Fact]
    public async Task Read_CloseMessageDropped_UnexpectedHangupNotCleanEnd()
    {
        byte[] wire = Record("all of it"u8.ToArray());
        (byte[] plain, Exception? error) = await ReadAllAsync(wire.AsSpan(0, wire.Length - 18).ToArray());

        Assert.Equal("all of it"u8.ToArray(), plain);
        SecureChannelException e = Assert.IsType<SecureChannelException>(error);
        Assert.Equal(SecureChannelError.UnexpectedHangup, e.Error);
        Assert.Contains("without the peer's close", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_TruncatedAtEveryPoint_NeverACleanEnd()
    {
        byte[] wire = Record("abc"u8.ToArray(), "defgh"u8.ToArray());
        for (int cut = 0; cut < wire.Length; cut++)
        {
            (_, Exception? error) = await ReadAllAsync(wire.AsSpan(0, cut).ToArray());
            Assert.Equal(SecureChannelError.UnexpectedHangup, Assert.IsType<SecureChannelException>(error).Error);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    public async Task Read_LengthShorterThanTag_ProtocolViolationWithoutWaiting(int length)
    {
        CancellationToken ct = TestTimeout.Token();
        var (a, b) = InMemoryDuplex.CreatePair();
        await using NoiseStream reader = Create(b, receiveKey: s_key);
        byte[] prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)length);
        await a.WriteAsync(prefix, ct); // no body follows, and the connection stays open

        SecureChannelException e = await Assert.ThrowsAsync<SecureChannelException>(async () => await reader.ReadAsync(new byte[10], ct));
        Assert.Equal(SecureChannelError.ProtocolViolation, e.Error);

        // The failure is permanent.
        Assert.Equal(SecureChannelError.ProtocolViolation, (await Assert.ThrowsAsync<SecureChannelException>(async () => await reader.ReadAsync(new byte[10], ct))).Error);
    }

    [Fact]
    public async Task Read_MaximumLengthAnnouncedButBodyWithheld_WaitsWithBoundedBufferAndCancelsCleanly()
    {
        // 65 535 is the largest length the 2-byte field can say; the reader buffers at most two frames.
        CancellationToken ct = TestTimeout.Token();
        var (a, b) = InMemoryDuplex.CreatePair();
        await using NoiseStream reader = Create(b, receiveKey: s_key);
        await a.WriteAsync(new byte[] { 0xff, 0xff, 1, 2, 3 }, ct);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader.ReadAsync(new byte[10], cancel.Token));
        await a.CompleteWritesAsync();
        Assert.Equal(SecureChannelError.UnexpectedHangup, (await Assert.ThrowsAsync<SecureChannelException>(async () => await reader.ReadAsync(new byte[10], ct))).Error);
    }

    [Fact]
    public async Task Read_SmallCallerBuffers_ServeEveryByteOfLargeMessages()
    {
        byte[] data = Patterns.Create(150_000);
        using var reader = Create(new MemoryStream(Record(data)), receiveKey: s_key);
        using var all = new MemoryStream();
        byte[] small = new byte[777];
        int n;
        while ((n = await reader.ReadAsync(small, TestContext.Current.CancellationToken)) > 0)
        {
            all.Write(small, 0, n);
        }

        Assert.Equal(data, all.ToArray());
        Assert.True(reader.ReadsCompleted);
    }

    [Fact]
    public void Write_AfterCompleteWrites_Throws()
    {
        using var writer = Create(new MemoryStream(), sendKey: s_key);
        writer.Write("x"u8);
        writer.CompleteWrites();
        writer.CompleteWrites(); // idempotent
        Assert.Throws<InvalidOperationException>(() => writer.Write("y"u8));
        Assert.True(writer.WritesCompleted);
    }

    [Fact]
    public void Dispose_WithoutCompleteWrites_SendsCloseSoPeerSeesCleanEnd()
    {
        var inner = new MemoryStream();
        var writer = Create(inner, sendKey: s_key, leaveOpen: true);
        writer.Write("bye"u8);
        writer.Dispose();

        byte[] wire = inner.ToArray();
        Assert.Equal(2 + 3 + 16 + 18, wire.Length);
        Assert.Equal(16, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(wire.Length - 18)));
    }

    private static NoiseStream Create(Stream inner, byte[]? sendKey = null, byte[]? receiveKey = null, bool leaveOpen = false) =>
        new(
            inner,
            new NoiseCipherState(sendKey ?? RandomNumberGenerator.GetBytes(32), NoiseWire.RekeyInterval),
            new NoiseCipherState(receiveKey ?? RandomNumberGenerator.GetBytes(32), NoiseWire.RekeyInterval),
            Ed25519PublicKey.FromBytes(new byte[32]),
            new byte[32],
            leaveOpen);

    /// <summary>The bytes a writer puts on the wire for <paramref name="writes"/> then its close.</summary>
    private static byte[] Record(params byte[][] writes)
    {
        var inner = new MemoryStream();
        using (NoiseStream writer = Create(inner, sendKey: s_key, leaveOpen: true))
        {
            foreach (byte[] w in writes)
            {
                writer.Write(w);
            }

            writer.CompleteWrites();
        }

        return inner.ToArray();
    }

    private static async Task<(byte[] Plain, Exception? Error)> ReadAllAsync(byte[] wire)
    {
        using NoiseStream reader = Create(new MemoryStream(wire), receiveKey: s_key);
        using var plain = new MemoryStream();
        byte[] buffer = new byte[100_000];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
            {
                plain.Write(buffer, 0, n);
            }

            return (plain.ToArray(), null);
        }
        catch (SecureChannelException e)
        {
            return (plain.ToArray(), e);
        }
    }
}
