using System.Net;
using System.Net.Sockets;

namespace Weft.Transports.Tests.Stripe;

/// <summary>A TCP server that reads each stripe hello and answers it as told (or never), to test the dialling side.</summary>
internal sealed class FakeStripeServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly List<byte[]> _hellos = [];
    private readonly Task _loop;

    private FakeStripeServer(Func<byte[], byte[]>? reply)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = RunAsync(reply);
    }

    public static Task<FakeStripeServer> StartAsync(Func<byte[], byte[]>? reply, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        return Task.FromResult(new FakeStripeServer(reply));
    }

    public Address Address(int legs) => Transports.Address.Parse($"net:127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}~stripe:{legs}");

    /// <summary>Every hello received so far, in arrival order (copies).</summary>
    public IReadOnlyList<byte[]> Hellos
    {
        get
        {
            lock (_clients)
            {
                return [.. _hellos];
            }
        }
    }

    /// <summary>Closes the <paramref name="index"/>-th accepted connection (a dead leg for the client).</summary>
    public void CloseClient(int index)
    {
        lock (_clients)
        {
            _clients[index].Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
        }

        lock (_clients)
        {
            foreach (TcpClient client in _clients)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }

    private async Task RunAsync(Func<byte[], byte[]>? reply)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    byte[] hello = new byte[32];
                    await client.GetStream().ReadExactlyAsync(hello, _stop.Token);
                    lock (_clients)
                    {
                        _hellos.Add([.. hello]);
                    }
                    if (reply is not null)
                    {
                        await client.GetStream().WriteAsync(reply(hello), _stop.Token);
                    }
                }
                catch (Exception)
                {
                }
            });
        }
    }
}
