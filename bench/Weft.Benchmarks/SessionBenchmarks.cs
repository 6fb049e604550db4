using BenchmarkDotNet.Attributes;
using Weft.Mux;

namespace Weft.Benchmarks;

/// <summary>
/// A MuxSession pair over an in-memory duplex (no sockets): moving 1 MiB through one stream, and a stream's
/// whole life (open, 1 byte, half-close, echo, close). The memory diagnoser shows what each operation allocates.
/// </summary>
[MemoryDiagnoser]
public class SessionBenchmarks
{
    private const int Chunk = 64 * 1024;
    private const int OneMiB = 1024 * 1024;

    private readonly byte[] _chunk = new byte[Chunk];
    private readonly byte[] _sink = new byte[Chunk];
    private readonly byte[] _one = new byte[1];
    private MuxSession _client = null!;
    private MuxSession _server = null!;
    private MuxStream _sender = null!;
    private MuxStream _receiver = null!;
    private Task _acceptLoop = Task.CompletedTask;

    [GlobalSetup]
    public void Setup()
    {
        (Stream a, Stream b) = DuplexPipe.Create();
        _client = MuxSession.CreateClient(a);
        _server = MuxSession.CreateServer(b);
        _sender = _client.OpenStreamAsync().AsTask().GetAwaiter().GetResult();
        _receiver = _server.AcceptStreamAsync().AsTask().GetAwaiter().GetResult();
        _acceptLoop = EchoAcceptedAsync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Bounded: a session that fails to close must not hang the benchmark run (say so instead).
        Task closing = Task.Run(async () =>
        {
            await _client.DisposeAsync();
            await _server.DisposeAsync();
            await _acceptLoop;
        });
        if (!closing.Wait(TimeSpan.FromSeconds(15)))
        {
            Console.Error.WriteLine($"SessionBenchmarks: the session pair did not close within 15 s (client ended: {_client.Completion.IsCompleted}, server ended: {_server.Completion.IsCompleted})");
        }
    }

    /// <summary>1 MiB written in 64 KiB chunks on one end and read on the other (per operation: 1 MiB).</summary>
    [Benchmark]
    public async Task Move1MiB()
    {
        Task<int> reading = ReadAsync(OneMiB);
        for (int sent = 0; sent < OneMiB; sent += Chunk)
        {
            await _sender.WriteAsync(_chunk);
        }

        await reading;
    }

    /// <summary>Open, write 1 byte, half-close, read the echo to EOF, close (the peer echoes).</summary>
    [Benchmark]
    public async Task OpenEchoClose()
    {
        await using MuxStream stream = await _client.OpenStreamAsync();
        await stream.WriteAsync(_one);
        stream.CompleteWrites();
        while (await stream.ReadAsync(_one) > 0)
        {
        }
    }

    private async Task<int> ReadAsync(int bytes)
    {
        int total = 0;
        while (total < bytes)
        {
            total += await _receiver.ReadAsync(_sink);
        }

        return total;
    }

    /// <summary>The server's side of <see cref="OpenEchoClose"/>: echo each new stream, then FIN.</summary>
    private async Task EchoAcceptedAsync()
    {
        var buffer = new byte[Chunk];
        try
        {
            while (true)
            {
                await using MuxStream stream = await _server.AcceptStreamAsync();
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, n));
                }

                stream.CompleteWrites();
            }
        }
        catch (MuxException)
        {
        }
    }
}
