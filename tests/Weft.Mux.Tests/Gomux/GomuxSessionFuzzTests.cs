using Weft.Mux.Tests.Support;
using Weft.Testing;

namespace Weft.Mux.Tests.Gomux;

/// <summary>
/// Random mutations of the real gomux client's bytes fed to a Weft server session: every run ends in a clear
/// error (or a clean end) and a completed session, never a hang, a crash or bytes from a forged frame.
/// </summary>
public sealed class GomuxSessionFuzzTests
{
    [Fact]
    public async Task MutatedCapture_AlwaysEndsCleanly_AndNeverDeliversForgedBytes()
    {
        CancellationToken ct = TestToken.Create(120);
        byte[] wire = GomuxCaptures.Bytes("golden", "c2s");
        var random = new Random(6);
        for (int run = 0; run < 150; run++)
        {
            byte[] mutated = (byte[])wire.Clone();
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                // Mostly near the front, where headers and small frames are, sometimes anywhere.
                int at = random.Next(0, random.Next(2) == 0 ? 400 : mutated.Length);
                mutated[at] ^= (byte)random.Next(1, 256);
            }

            int cut = random.Next(4) == 0 ? random.Next(0, mutated.Length) : mutated.Length;
            var (client, server) = InMemoryDuplex.CreatePair();
            await using MuxSession session = MuxSession.CreateServer(server, new MuxOptions { Dialect = MuxDialect.Gomux(GomuxCaptures.Psk), KeepAliveInterval = Timeout.InfiniteTimeSpan });
            Task drain = DrainAcceptedAsync(session, ct);
            try
            {
                // Unpaced: past 128 KiB on stream 2 the window may run out first, which is a clear error too.
                await client.WriteAsync(mutated.AsMemory(0, cut), ct);
            }
            catch (IOException)
            {
                // The session refused something and closed the connection before all bytes were written.
            }

            await client.DisposeAsync();
            await session.Completion.WaitAsync(ct);
            MuxException reason = session.TerminationException!;
            Assert.Contains(reason.Error, new[] { MuxError.ProtocolError, MuxError.ConnectionLost, MuxError.RemoteClosed });
            Assert.False(string.IsNullOrWhiteSpace(reason.Message));
            Assert.DoesNotContain(GomuxCaptures.Psk, reason.Message, StringComparison.Ordinal);
            await drain.WaitAsync(ct);
        }
    }

    /// <summary>Accepts and reads every stream; a byte that differs from what gomux sent would be a forgery.</summary>
    private static async Task DrainAcceptedAsync(MuxSession session, CancellationToken ct)
    {
        var readers = new List<Task>();
        try
        {
            while (true)
            {
                MuxStream stream = await session.AcceptStreamAsync(ct);
                readers.Add(ReadAllAsync(stream, ct));
            }
        }
        catch (MuxException)
        {
            // The session ended.
        }

        await Task.WhenAll(readers);
    }

    private static async Task ReadAllAsync(MuxStream stream, CancellationToken ct)
    {
        byte[] buffer = new byte[70_000];
        long offset = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                if (stream.Id == 2)
                {
                    // Stream 2 carries byte i = (i*7+3) mod 251: any other byte would have come from a forged frame.
                    for (int i = 0; i < n; i++, offset++)
                    {
                        Assert.Equal((byte)((offset * 7 + 3) % 251), buffer[i]);
                    }
                }
            }
        }
        catch (MuxException)
        {
            // The session's error comes after the authentic bytes.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }
}
