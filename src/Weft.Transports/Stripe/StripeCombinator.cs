using System.Globalization;
using Weft.Transports.Registry;

namespace Weft.Transports.Stripe;

/// <summary>
/// The <c>stripe:N</c> address layer: a dialer combinator that opens N connections with everything to
/// its left in the address and bundles them into one <see cref="StripeStream"/>, and the listener that
/// groups arriving legs into bundles by their bundle id. <c>net:host:7000~stripe:4~shs:KEY</c> is four
/// TCP connections, bundled, then one secret-handshake over the bundle. On a listen address, N is the
/// most legs a client may bundle (clients may use fewer).
/// </summary>
/// <remarks>Registered by <see cref="TransportRegistry.CreateDefault"/>. Thread-safe.</remarks>
public sealed class StripeCombinator : IConnectionCombinator
{
    /// <summary>The protocol name, <c>stripe</c>.</summary>
    public const string ProtocolName = "stripe";

    private readonly Lock _lock = new();
    private readonly HashSet<StripeStream> _bundles = [];

    /// <summary>Creates the combinator.</summary>
    /// <param name="options">Limits and tuning; null for <see cref="StripeOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public StripeCombinator(StripeOptions? options = null)
    {
        Options = options ?? StripeOptions.Default;
        Options.Validate();
    }

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <summary>The options every bundle of this combinator uses.</summary>
    public StripeOptions Options { get; }

    /// <summary>
    /// The bundles made by this combinator (dialled or accepted) that are not disposed yet, e.g. for
    /// <c>weft status</c>: <see cref="StripeStream.GetLegStatistics"/> gives per-leg bytes and queue depth.
    /// </summary>
    public IReadOnlyList<StripeStream> ActiveBundles
    {
        get
        {
            lock (_lock)
            {
                return [.. _bundles];
            }
        }
    }

    /// <inheritdoc/>
    public IConnectionDialer CombineDialer(IConnectionDialer inner, ProtocolPart part)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(part);
        return new StripeDialer(this, inner, part, ParseLegCount(part));
    }

    /// <inheritdoc/>
    public ValueTask<IConnectionListener> CombineListenerAsync(IConnectionListener inner, ProtocolPart part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(part);
        return ValueTask.FromResult<IConnectionListener>(new StripeListener(this, inner, part, ParseLegCount(part)));
    }

    /// <summary>Creates a bundle over connected, greeted legs and tracks it until it is disposed.</summary>
    /// <param name="legs">The legs, in index order.</param>
    /// <param name="peerReceiveWindow">The window from the peer's hello.</param>
    /// <param name="redial">Client: dials and greets a rejoining leg of the given index; null on the server.</param>
    /// <param name="onClosed">Also called once the bundle is closed (after it is untracked here).</param>
    internal StripeStream CreateBundle(
        IReadOnlyList<TransportConnection> legs,
        int peerReceiveWindow,
        Func<int, CancellationToken, ValueTask<TransportConnection>>? redial = null,
        Action<StripeStream>? onClosed = null)
    {
        var stream = new StripeStream(legs, peerReceiveWindow, Options, redial, s =>
        {
            Untrack(s);
            onClosed?.Invoke(s);
        });
        lock (_lock)
        {
            _bundles.Add(stream);
        }

        stream.Start();
        return stream;
    }

    private void Untrack(StripeStream stream)
    {
        lock (_lock)
        {
            _bundles.Remove(stream);
        }
    }

    private static int ParseLegCount(ProtocolPart part)
    {
        if (part.Fields.Count == 1
            && int.TryParse(part.Fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int legs)
            && legs is >= 1 and <= StripeWire.MaxLegs)
        {
            return legs;
        }

        throw new TransportException(TransportError.InvalidAddress, $"'{part}': stripe takes the number of legs, 1 to {StripeWire.MaxLegs}, e.g. 'stripe:4'.");
    }
}
