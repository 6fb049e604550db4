using System.Net.Sockets;
using Weft.Transports.Registry;

namespace Weft.Transports.Net;

/// <summary>Accepts from a listening socket (TCP or Unix) and wraps each connection in a <see cref="SocketStream"/>.</summary>
internal sealed class SocketListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly Func<AddressScope, AdvertiseOptions, IReadOnlyList<Address>> _advertise;
    private readonly Action? _afterDispose;
    private readonly bool _noDelay;
    private int _disposed;

    public SocketListener(Socket socket, Address address, bool noDelay, Func<AddressScope, AdvertiseOptions, IReadOnlyList<Address>> advertise, Action? afterDispose = null)
    {
        _socket = socket;
        Address = address;
        _noDelay = noDelay;
        _advertise = advertise;
        _afterDispose = afterDispose;
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Socket accepted;
        try
        {
            accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException($"The listener on {Address} is closed.", ex);
        }

        if (_noDelay)
        {
            accepted.NoDelay = true;
        }

        string? remote = accepted.RemoteEndPoint?.ToString();
        return new TransportConnection(new SocketStream(accepted), ConnectionRole.Server, Address, string.IsNullOrEmpty(remote) ? null : remote);
    }

    public IReadOnlyList<Address> GetAdvertisedAddresses(AddressScope scope, AdvertiseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return _advertise(scope, options);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            _afterDispose?.Invoke();
        }

        return ValueTask.CompletedTask;
    }
}
