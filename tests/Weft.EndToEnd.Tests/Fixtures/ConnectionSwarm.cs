using System.Net;
using System.Net.Sockets;

namespace Weft.EndToEnd.Fixtures;

/// <summary>
/// Many concurrent connections through a route, all open at the same time: each connects, sends a
/// checked echo of its own pattern and keeps the connection open until every connection has reached
/// that point (so a measurement can be taken while all are live), then finishes with a second checked
/// echo and a half-close.
/// </summary>
public sealed class ConnectionSwarm : IAsyncDisposable
{
    private readonly List<Socket> _sockets = [];

    private ConnectionSwarm()
    {
    }

    /// <summary>How many connections are open.</summary>
    public int Count => _sockets.Count;

    /// <summary>
    /// Opens <paramref name="count"/> connections to <paramref name="entry"/> (at most
    /// <paramref name="parallelConnects"/> connecting at once) and checks one echo of
    /// <paramref name="bytesEach"/> bytes on each. All stay open.
    /// </summary>
    /// <param name="entry">The route's entry.</param>
    /// <param name="count">Connections.</param>
    /// <param name="bytesEach">Bytes each echoes in each phase.</param>
    /// <param name="parallelConnects">Connections being set up at once.</param>
    /// <param name="cancellationToken">Cancels the whole swarm.</param>
    /// <returns>The open swarm.</returns>
    public static async Task<ConnectionSwarm> OpenAsync(IPEndPoint entry, int count, int bytesEach, int parallelConnects = 64, CancellationToken cancellationToken = default)
    {
        var swarm = new ConnectionSwarm();
        using var gate = new SemaphoreSlim(parallelConnects);
        var sockets = new Socket?[count];
        try
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    Socket socket = await TransferClient.ConnectAsync(entry, cancellationToken).ConfigureAwait(false);
                    sockets[i] = socket;
                    await TransferClient.SendAllAsync(socket, "E"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                    await EchoPhaseAsync(socket, i, 0, bytesEach, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }
        finally
        {
            swarm._sockets.AddRange(sockets.Where(s => s is not null)!);
        }

        return swarm;
    }

    /// <summary>Second phase on every connection at once: another checked echo, half-close, and the end of stream after it.</summary>
    /// <param name="bytesEach">Bytes each echoes.</param>
    /// <param name="cancellationToken">Cancels the phase.</param>
    /// <returns>A task that completes when every connection has been checked and closed.</returns>
    public async Task FinishAsync(int bytesEach, CancellationToken cancellationToken = default)
    {
        await Task.WhenAll(_sockets.Select(async (socket, i) =>
        {
            await EchoPhaseAsync(socket, i, bytesEach, bytesEach, cancellationToken).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
            var one = new byte[1];
            if (await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new TransferException($"connection {i}: bytes after the last echo");
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Closes every connection.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
        return ValueTask.CompletedTask;
    }

    private static async Task EchoPhaseAsync(Socket socket, int index, long offset, int length, CancellationToken cancellationToken)
    {
        var data = new byte[length];
        TcpTarget.PatternBytes(data, offset, seed: 1000 + index);
        await TransferClient.SendAllAsync(socket, data, cancellationToken).ConfigureAwait(false);
        var echo = new byte[length];
        int got = await TransferClient.ReceiveAtMostAsync(socket, echo, cancellationToken).ConfigureAwait(false);
        if (got != length || !echo.AsSpan().SequenceEqual(data))
        {
            throw new TransferException($"connection {index}: echo of {length} bytes at offset {offset} came back {(got != length ? $"short ({got} bytes)" : "different")}");
        }
    }
}
