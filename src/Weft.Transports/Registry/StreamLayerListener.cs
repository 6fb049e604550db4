using System.Threading.Channels;

namespace Weft.Transports.Registry;

/// <summary>
/// Accepts from the inner listener in one background loop and runs a run of consecutive stream layers for
/// each accepted connection concurrently (bounded by <see cref="ListenerOptions.MaxPendingLayers"/>), so a
/// slow or hostile handshake never blocks other peers. Finished connections queue for <see cref="AcceptAsync"/>.
/// </summary>
internal sealed class StreamLayerListener : IConnectionListener
{
    private readonly IConnectionListener _inner;
    private readonly (IStreamLayer Layer, ProtocolPart Part, ProtocolPart Printed)[] _layers;
    private readonly ListenerOptions _options;
    private readonly Channel<TransportConnection> _ready;
    private readonly SemaphoreSlim _pending;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _disposed;

    public StreamLayerListener(IConnectionListener inner, (IStreamLayer Layer, ProtocolPart Part)[] layers, ListenerOptions options)
    {
        _inner = inner;
        _layers = [.. layers.Select(l => (l.Layer, l.Part, l.Layer.GetListenerPart(l.Part)))];
        _options = options;
        _pending = new SemaphoreSlim(options.MaxPendingLayers, options.MaxPendingLayers);
        _ready = Channel.CreateBounded<TransportConnection>(new BoundedChannelOptions(options.AcceptBacklog)
        {
            SingleWriter = false,
            SingleReader = false,
        });
        Address address = inner.Address;
        foreach (var (_, _, printed) in _layers)
        {
            address = address.Append(printed);
        }

        Address = address;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException($"The listener on {Address} is closed.", ex.InnerException ?? ex);
        }
    }

    public IReadOnlyList<Address> GetAdvertisedAddresses(AddressScope scope, AdvertiseOptions options)
    {
        foreach (var (layer, _, _) in _layers)
        {
            if (!layer.IsAdvertisedIn(scope))
            {
                return [];
            }
        }

        return [.. _inner.GetAdvertisedAddresses(scope, options).Select(a => _layers.Aggregate(a, (acc, l) => acc.Append(l.Printed)))];
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        // Every running layer task holds one permit: taking them all waits for the last one.
        for (int i = 0; i < _options.MaxPendingLayers; i++)
        {
            await _pending.WaitAsync().ConfigureAwait(false);
        }

        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out TransportConnection? left))
        {
            await Quietly.DisposeAsync(left).ConfigureAwait(false);
        }

        _stop.Dispose();
        _pending.Dispose();
    }

    // Each layer run holds one permit and is tracked through it; RunLayersAsync never throws.
    private Task AcceptLoopAsync() =>
        PermitAcceptLoop.RunAsync(_inner, _pending, _ready.Writer, raw => _ = RunLayersAsync(raw), _stop.Token);

    private async Task RunLayersAsync(TransportConnection connection)
    {
        await Task.Yield();
        try
        {
            using var timeout = new CancellationTokenSource(_options.LayerTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
            try
            {
                foreach (var (layer, part, _) in _layers)
                {
                    connection = await StreamLayers.ApplyAsync(connection, layer, part, linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                Report(connection, new TransportException(TransportError.TimedOut, $"The layers of {Address} did not finish within {_options.LayerTimeout.TotalSeconds:0.###} s.", ex));
                return;
            }
            catch (Exception ex)
            {
                if (!_stop.IsCancellationRequested)
                {
                    Report(connection, ex);
                }

                return;
            }

            try
            {
                await _ready.Writer.WriteAsync(connection, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await Quietly.DisposeAsync(connection).ConfigureAwait(false);
            }
        }
        finally
        {
            _pending.Release();
        }
    }

    private void Report(TransportConnection connection, Exception error)
    {
        try
        {
            _options.OnLayerError?.Invoke(connection.RemoteEndPoint, error);
        }
        catch (Exception)
        {
            // A faulty callback must not take the listener down.
        }
    }
}
