using System.Threading.Channels;
using Weft.Transports.Registry;

namespace Weft.Transports;

/// <summary>
/// Listens on every alternative of a multiaddress at once (e.g. <c>net:0.0.0.0:8008;ws://0.0.0.0:8080;unix:/run/x.sock~noauth</c>)
/// and hands every accepted connection, after its layers, to one <see cref="AcceptAsync"/> queue.
/// <see cref="GetAddress"/> prints the server's own multiaddress for a scope. Dispose to stop.
/// </summary>
public sealed class MultiAddressServer : IAsyncDisposable
{
    private readonly IConnectionListener[] _listeners;
    private readonly MultiAddressServerOptions _options;
    private readonly Channel<TransportConnection> _accepted;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _pumps;
    private int _disposed;

    private MultiAddressServer(IConnectionListener[] listeners, MultiAddressServerOptions options)
    {
        _listeners = listeners;
        _options = options;
        _accepted = Channel.CreateBounded<TransportConnection>(options.AcceptBacklog);
        _pumps = [.. listeners.Select(l => Task.Run(() => PumpAsync(l)))];
    }

    /// <summary>The running listeners, in the order of the multiaddress.</summary>
    public IReadOnlyList<IConnectionListener> Listeners => _listeners;

    /// <summary>The bound addresses (port 0 replaced by the real port) as a multiaddress.</summary>
    public MultiAddress BoundAddress => new(_listeners.Select(l => l.Address));

    /// <summary>Starts a listener for every alternative; if one fails, the others are stopped and the error is thrown.</summary>
    /// <param name="registry">The plugins.</param>
    /// <param name="listen">What to listen on.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="TransportException">An alternative could not be listened on.</exception>
    public static async Task<MultiAddressServer> StartAsync(TransportRegistry registry, MultiAddress listen, MultiAddressServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(listen);
        options ??= new MultiAddressServerOptions();
        options.Validate();
        var listeners = new List<IConnectionListener>();
        try
        {
            foreach (Address address in listen.Alternatives)
            {
                listeners.Add(await registry.ListenAsync(address, options.Listener, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (IConnectionListener started in listeners)
            {
                await Quietly.DisposeAsync(started).ConfigureAwait(false);
            }

            throw;
        }

        return new MultiAddressServer([.. listeners], options);
    }

    /// <summary>Waits for the next connection from any listener, with its layers applied.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The connection; <see cref="TransportConnection.Address"/> says which alternative it came through.</returns>
    /// <exception cref="ObjectDisposedException">The server was disposed (or every listener stopped).</exception>
    public async ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException("The multi-address server is stopped.", ex);
        }
    }

    /// <summary>
    /// The server's own multiaddress for <paramref name="scope"/>: for every listener, the addresses peers in
    /// that scope can use (device: 127.0.0.1 and Unix sockets; local: the machine's address; public: the
    /// configured host names). Null when nothing is reachable in that scope.
    /// </summary>
    /// <param name="scope">Who the address is for.</param>
    /// <returns>The multiaddress or null.</returns>
    public MultiAddress? GetAddress(AddressScope scope)
    {
        Address[] addresses = [.. _listeners.SelectMany(l => l.GetAdvertisedAddresses(scope, _options.Advertise))];
        return addresses.Length == 0 ? null : new MultiAddress(addresses);
    }

    /// <summary>Stops every listener, closes queued connections not yet accepted and waits for the accept loops.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (IConnectionListener listener in _listeners)
        {
            await Quietly.DisposeAsync(listener).ConfigureAwait(false);
        }

        await Task.WhenAll(_pumps).ConfigureAwait(false);
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out TransportConnection? queued))
        {
            await Quietly.DisposeAsync(queued).ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task PumpAsync(IConnectionListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            TransportConnection connection;
            try
            {
                connection = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (_stop.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex)
            {
                try
                {
                    _options.OnListenerError?.Invoke(listener.Address, ex);
                }
                catch (Exception)
                {
                    // A faulty callback must not take the server down.
                }

                return;
            }

            try
            {
                await _accepted.Writer.WriteAsync(connection, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await Quietly.DisposeAsync(connection).ConfigureAwait(false);
                return;
            }
        }
    }
}
