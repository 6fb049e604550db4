using Weft.Transports.Net;
using Weft.Transports.Socks;
using Weft.Transports.Unix;
using Weft.Transports.WebSockets;

namespace Weft.Transports.Registry;

/// <summary>
/// The plugins that give address parts their meaning: transports (the first part) and layers — stream
/// transforms (<see cref="IStreamLayer"/>) and dialer/listener combinators (<see cref="IConnectionCombinator"/>).
/// Composes an <see cref="Address"/> into a dialer or listener left to right. Every name is registered
/// once across all three kinds. Thread-safe; registering while dialling is allowed.
/// </summary>
public sealed class TransportRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, object> _plugins = new(StringComparer.Ordinal);

    /// <summary>
    /// A registry with the built-in plugins: <c>net</c>, <c>unix</c>, <c>ws</c>, <c>wss</c>, <c>onion</c>,
    /// <c>noauth</c> and <c>stripe</c>. Others (e.g. <c>shs</c>) are registered by their projects.
    /// </summary>
    /// <param name="options">Options for the built-in plugins; null for the defaults.</param>
    /// <returns>The registry.</returns>
    public static TransportRegistry CreateDefault(DefaultTransportOptions? options = null)
    {
        options ??= new DefaultTransportOptions();
        var registry = new TransportRegistry();
        registry.Register(new NetTransport());
        registry.Register(new UnixTransport());
        registry.Register(new WebSocketTransport(secure: false, options.WebSockets));
        registry.Register(new WebSocketTransport(secure: true, options.WebSockets));
        registry.Register(new OnionTransport(options.Onion));
        registry.Register(new NoAuthLayer());
        registry.Register(new Stripe.StripeCombinator(options.Stripe));
        return registry;
    }

    /// <summary>Registers a transport.</summary>
    /// <param name="transport">The plugin.</param>
    /// <exception cref="ArgumentException">Its name is invalid or already registered.</exception>
    public void Register(ITransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        Add(transport.Name, transport);
    }

    /// <summary>Registers a stream layer.</summary>
    /// <param name="layer">The plugin.</param>
    /// <exception cref="ArgumentException">Its name is invalid or already registered.</exception>
    public void Register(IStreamLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Add(layer.Name, layer);
    }

    /// <summary>Registers a dialer/listener combinator.</summary>
    /// <param name="combinator">The plugin.</param>
    /// <exception cref="ArgumentException">Its name is invalid or already registered.</exception>
    public void Register(IConnectionCombinator combinator)
    {
        ArgumentNullException.ThrowIfNull(combinator);
        Add(combinator.Name, combinator);
    }

    /// <summary>Removes the plugin registered under <paramref name="name"/>.</summary>
    /// <param name="name">The protocol name.</param>
    /// <returns>Whether something was removed.</returns>
    public bool Unregister(string name)
    {
        lock (_lock)
        {
            return _plugins.Remove(name);
        }
    }

    /// <summary>The registered protocol names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_lock)
            {
                return [.. _plugins.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Finds a transport by name.</summary>
    /// <param name="name">The protocol name.</param>
    /// <param name="transport">The transport, or null.</param>
    /// <returns>Whether a transport has that name.</returns>
    public bool TryGetTransport(string name, out ITransport? transport)
    {
        transport = Find(name) as ITransport;
        return transport is not null;
    }

    /// <summary>Finds a stream layer by name.</summary>
    /// <param name="name">The protocol name.</param>
    /// <param name="layer">The layer, or null.</param>
    /// <returns>Whether a stream layer has that name.</returns>
    public bool TryGetStreamLayer(string name, out IStreamLayer? layer)
    {
        layer = Find(name) as IStreamLayer;
        return layer is not null;
    }

    /// <summary>Finds a combinator by name.</summary>
    /// <param name="name">The protocol name.</param>
    /// <param name="combinator">The combinator, or null.</param>
    /// <returns>Whether a combinator has that name.</returns>
    public bool TryGetCombinator(string name, out IConnectionCombinator? combinator)
    {
        combinator = Find(name) as IConnectionCombinator;
        return combinator is not null;
    }

    /// <summary>
    /// Whether every part of <paramref name="address"/> has a plugin and the transport can dial
    /// ("understands" in multiserver's sense). Field validity is checked by <see cref="CreateDialer"/>.
    /// </summary>
    /// <param name="address">The address.</param>
    /// <param name="reason">Why not, or null.</param>
    /// <returns>True when it can be dialled.</returns>
    public bool CanDial(Address address, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(address);
        reason = Check(address, listen: false);
        return reason is null;
    }

    /// <summary>Builds a dialer for <paramref name="address"/>: the transport's dialer wrapped by each layer in order.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The dialer.</returns>
    /// <exception cref="TransportException">A part is unsupported (<see cref="TransportError.Unsupported"/>) or has invalid fields.</exception>
    public IConnectionDialer CreateDialer(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        string? reason = Check(address, listen: false);
        if (reason is not null)
        {
            throw new TransportException(TransportError.Unsupported, $"Cannot dial '{address}': {reason}.");
        }

        var transport = (ITransport)Find(address.Transport.Name)!;
        IConnectionDialer dialer = transport.CreateDialer(address.Transport);
        foreach (ProtocolPart part in address.Layers)
        {
            dialer = Find(part.Name) switch
            {
                IStreamLayer layer => new StreamLayerDialer(dialer, layer, part),
                IConnectionCombinator combinator => combinator.CombineDialer(dialer, part),
                _ => throw new TransportException(TransportError.Unsupported, $"Cannot dial '{address}': '{part.Name}' was unregistered."),
            };
        }

        return dialer;
    }

    /// <summary>Dials <paramref name="address"/> once (no timeout of its own; see <see cref="MultiAddressClient"/> for timeouts and fallthrough).</summary>
    /// <param name="address">The address.</param>
    /// <param name="cancellationToken">Cancels the dial.</param>
    /// <returns>The connection with every layer applied.</returns>
    public ValueTask<TransportConnection> DialAsync(Address address, CancellationToken cancellationToken = default) =>
        CreateDialer(address).DialAsync(cancellationToken);

    /// <summary>
    /// Starts listening on <paramref name="address"/>: the transport's listener, then each layer in order.
    /// Consecutive stream layers run per accepted connection in the background (see <see cref="ListenerOptions"/>).
    /// </summary>
    /// <param name="address">The address, e.g. <c>net:0.0.0.0:0~noauth</c>.</param>
    /// <param name="options">Layer timeouts and limits; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="TransportException">A part is unsupported or invalid, or the listener could not start.</exception>
    public async ValueTask<IConnectionListener> ListenAsync(Address address, ListenerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        options ??= ListenerOptions.Default;
        options.Validate();
        string? reason = Check(address, listen: true);
        if (reason is not null)
        {
            throw new TransportException(TransportError.Unsupported, $"Cannot listen on '{address}': {reason}.");
        }

        var transport = (ITransport)Find(address.Transport.Name)!;
        IConnectionListener listener = await transport.ListenAsync(address.Transport, cancellationToken).ConfigureAwait(false);
        try
        {
            var run = new List<(IStreamLayer, ProtocolPart)>();
            foreach (ProtocolPart part in address.Layers)
            {
                switch (Find(part.Name))
                {
                    case IStreamLayer layer:
                        run.Add((layer, part));
                        break;
                    case IConnectionCombinator combinator:
                        listener = Flush(listener, run, options);
                        listener = await combinator.CombineListenerAsync(listener, part, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        throw new TransportException(TransportError.Unsupported, $"Cannot listen on '{address}': '{part.Name}' was unregistered.");
                }
            }

            return Flush(listener, run, options);
        }
        catch
        {
            await Quietly.DisposeAsync(listener).ConfigureAwait(false);
            throw;
        }
    }

    private static IConnectionListener Flush(IConnectionListener listener, List<(IStreamLayer, ProtocolPart)> run, ListenerOptions options)
    {
        if (run.Count == 0)
        {
            return listener;
        }

        var layered = new StreamLayerListener(listener, [.. run], options);
        run.Clear();
        return layered;
    }

    private string? Check(Address address, bool listen)
    {
        object? first = Find(address.Transport.Name);
        if (first is not ITransport transport)
        {
            return first is null
                ? $"no transport named '{address.Transport.Name}' is registered"
                : $"'{address.Transport.Name}' is a layer, not a transport";
        }

        if (listen ? !transport.CanListen : !transport.CanDial)
        {
            return $"transport '{transport.Name}' cannot {(listen ? "listen" : "dial")}";
        }

        foreach (ProtocolPart part in address.Layers)
        {
            object? plugin = Find(part.Name);
            if (plugin is null)
            {
                return $"no layer named '{part.Name}' is registered";
            }

            if (plugin is ITransport)
            {
                return $"'{part.Name}' is a transport and can only come first";
            }
        }

        return null;
    }

    private object? Find(string name)
    {
        lock (_lock)
        {
            return _plugins.GetValueOrDefault(name);
        }
    }

    private void Add(string name, object plugin)
    {
        if (!ProtocolPart.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid protocol name ([a-z][a-z0-9-]+).", nameof(plugin));
        }

        lock (_lock)
        {
            if (!_plugins.TryAdd(name, plugin))
            {
                throw new ArgumentException($"A plugin named '{name}' is already registered.", nameof(plugin));
            }
        }
    }
}
