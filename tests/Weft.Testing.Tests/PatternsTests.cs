namespace Weft.Testing.Tests;

public sealed class PatternsTests
{
    [Fact]
    public void Fill_AtOffset_MatchesSliceOfWholePattern()
    {
        byte[] whole = Patterns.Create(1000, seed: 3);
        byte[] part = new byte[333];
        Patterns.Fill(part, 501, seed: 3);
        Assert.Equal(whole.AsSpan(501, 333).ToArray(), part);
        Assert.Equal(-1, Patterns.FindMismatch(part, 501, seed: 3));
    }

    [Fact]
    public void Pattern_ShiftedOrOtherSeed_DoesNotMatch()
    {
        byte[] data = Patterns.Create(4096);
        Assert.NotEqual(-1, Patterns.FindMismatch(data, 256));
        Assert.NotEqual(-1, Patterns.FindMismatch(data, 0, seed: 1));
        data[1234] ^= 1;
        Assert.Equal(1234, Patterns.FindMismatch(data));
    }

    [Fact]
    public void Sha256OfPattern_Any_EqualsHashOfCreatedBytes()
    {
        Assert.Equal(Patterns.Sha256(Patterns.Create(200_000, seed: 9)), Patterns.Sha256OfPattern(200_000, seed: 9));
    }

    [Fact]
    public async Task WriteAsync_ThenReadAndHash_AgreeOnLengthAndHash()
    {
        CancellationToken ct = TestTimeout.Token();
        using var stream = new MemoryStream();
        byte[] sent = await Patterns.WriteAsync(stream, 100_001, seed: 2, chunkSize: 4096, cancellationToken: ct);
        stream.Position = 0;
        var (length, hash) = await Patterns.ReadAndHashAsync(stream, cancellationToken: ct);
        Assert.Equal(100_001, length);
        Assert.Equal(sent, hash);
        Assert.Equal(Patterns.Sha256OfPattern(100_001, seed: 2), hash);
    }
}
