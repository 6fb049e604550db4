using System.Text.Json;
using Weft.Mux;
using Weft.Testing;

namespace Weft.Interop.Tests;

/// <summary>
/// RST in both directions between a Weft client and each real peer's server: a stream reset ends only
/// that stream, and another stream of the same session keeps echoing.
/// </summary>
// One collection for every real-peer test: they run one at a time, so big transfers do not share the CPU.
[Collection("real peers")]
public sealed class StreamResetInteropTests
{
    /// <summary>The other stream sends this much in total: below the peer's --reset-after, so it is never reset.</summary>
    private const int SurvivorBytes = 32 * 1024;

    /// <summary>The peer server resets each stream once it has received this many bytes.</summary>
    private const int ResetAfter = 64 * 1024;

    [Theory(Timeout = 60_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public async Task WeftAbort_PeerServer_ReportsRemoteResetAndOtherStreamEchoes(string peer)
    {
        CancellationToken ct = TestTimeout.Token(45);
        await using PeerProcess server = await PeerProcess.StartServerAsync(PeerPrograms.Get(peer), cancellationToken: ct);
        await using MuxSession session = await WeftClientInteropTests.ConnectAsync(server.Endpoint, ct);

        // The survivor is open (half its data sent and echoed) across the other stream's reset.
        await using MuxStream survivor = await session.OpenStreamAsync(ct);
        await WriteAndReadEchoAsync(survivor, 0, SurvivorBytes / 2, seed: 1, ct);

        await using MuxStream victim = await session.OpenStreamAsync(ct);
        await WriteAndReadEchoAsync(victim, 0, 4096, seed: 2, ct); // the peer has accepted it and echoes
        victim.Abort(MuxAbortDirection.Both);

        JsonElement ev = await server.WaitForStreamEventAsync(victim.Id, TestTimeout.Scaled(TimeSpan.FromSeconds(15)), ct);
        Assert.True(ev.GetProperty("result").ValueEquals("reset"), $"{peer} after Weft's RST: {ev}");
        Assert.True(ev.TryGetProperty("reset_by", out JsonElement by) && by.ValueEquals("remote"), $"{peer} after Weft's RST: {ev}");
        MuxException aborted = await Assert.ThrowsAsync<MuxException>(async () => await victim.ReadAsync(new byte[1], ct));
        Assert.Equal(MuxError.StreamAborted, aborted.Error);

        await FinishSurvivorAsync(server, survivor, ct);
        Assert.True(await session.PingAsync(ct) > TimeSpan.Zero);
        Assert.Null(session.TerminationException);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(PeerPrograms.GoYamuxName)]
    [InlineData(PeerPrograms.YamuxJsName)]
    [InlineData(PeerPrograms.Libp2pYamuxName)]
    public async Task PeerReset_WeftReadAndWrite_ThrowStreamResetAndOtherStreamEchoes(string peer)
    {
        CancellationToken ct = TestTimeout.Token(45);
        await using PeerProcess server = await PeerProcess.StartServerAsync(
            PeerPrograms.Get(peer), ["--reset-after", ResetAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken: ct);
        await using MuxSession session = await WeftClientInteropTests.ConnectAsync(server.Endpoint, ct);

        await using MuxStream survivor = await session.OpenStreamAsync(ct);
        await WriteAndReadEchoAsync(survivor, 0, SurvivorBytes / 2, seed: 1, ct);

        // The victim writes far past --reset-after while reading; the peer's RST must fail both sides.
        await using MuxStream victim = await session.OpenStreamAsync(ct);
        Task<Exception?> reading = CaptureAsync(async () =>
        {
            var buffer = new byte[64 * 1024];
            long offset = 0;
            int n;
            while ((n = await victim.ReadAsync(buffer, ct)) > 0)
            {
                Patterns.AssertMatches(buffer.AsSpan(0, n), offset, seed: 2); // the echo before the RST is intact
                offset += n;
            }

            throw new InvalidOperationException($"read reached end of stream after {offset} bytes instead of failing with the peer's RST");
        });
        Task<Exception?> writing = CaptureAsync(async () =>
        {
            var chunk = new byte[16 * 1024];
            for (long offset = 0; offset < 256L << 20; offset += chunk.Length)
            {
                Patterns.Fill(chunk, offset, seed: 2);
                await victim.WriteAsync(chunk, ct);
            }

            throw new InvalidOperationException("256 MiB were written without the peer's RST failing the write");
        });

        foreach ((string side, Exception? error) in new[] { ("read", await reading), ("write", await writing) })
        {
            if (error is not MuxException { Error: MuxError.StreamReset })
            {
                Assert.Fail($"{side} after {peer}'s RST: expected MuxException with MuxError.StreamReset, got {error}");
            }
        }

        await Assert.ThrowsAsync<MuxException>(() => victim.ReadsClosed);
        JsonElement ev = await server.WaitForStreamEventAsync(victim.Id, TestTimeout.Scaled(TimeSpan.FromSeconds(15)), ct);
        Assert.True(ev.GetProperty("result").ValueEquals("reset"), $"{peer}: {ev}");
        Assert.True(ev.TryGetProperty("reset_by", out JsonElement by) && by.ValueEquals("local"), $"{peer}: {ev}");

        Assert.True(ev.GetProperty("bytes").GetInt64() >= ResetAfter, $"{peer}: {ev}");

        await FinishSurvivorAsync(server, survivor, ct);
        Assert.True(await session.PingAsync(ct) > TimeSpan.Zero);
        Assert.Null(session.TerminationException);
    }

    /// <summary>Sends the survivor's second half, half-closes, reads the echo to the peer's FIN and checks the peer's report.</summary>
    private static async Task FinishSurvivorAsync(PeerProcess server, MuxStream survivor, CancellationToken ct)
    {
        await WriteAndReadEchoAsync(survivor, SurvivorBytes / 2, SurvivorBytes / 2, seed: 1, ct);
        survivor.CompleteWrites();
        Assert.Equal(0, await survivor.ReadAsync(new byte[1], ct));
        Assert.True(survivor.ReadsClosed.IsCompletedSuccessfully, "the survivor's read side did not end with the peer's FIN");

        JsonElement ev = await server.WaitForStreamEventAsync(survivor.Id, TestTimeout.Scaled(TimeSpan.FromSeconds(15)), ct);
        Assert.True(ev.GetProperty("result").ValueEquals("eof"), $"{server.Program.Name} survivor: {ev}");
        Assert.Equal(SurvivorBytes, ev.GetProperty("bytes").GetInt64());
    }

    /// <summary>Writes <paramref name="length"/> pattern bytes at <paramref name="offset"/> and reads exactly their echo.</summary>
    private static async Task WriteAndReadEchoAsync(MuxStream stream, long offset, int length, int seed, CancellationToken ct)
    {
        var data = new byte[length];
        Patterns.Fill(data, offset, seed);
        Task write = stream.WriteAsync(data, ct).AsTask();
        var echo = new byte[length];
        await stream.ReadExactlyAsync(echo, ct);
        await write;
        Patterns.AssertMatches(echo, offset, seed);
    }

    private static async Task<Exception?> CaptureAsync(Func<Task> action)
    {
        try
        {
            await Task.Run(action);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
