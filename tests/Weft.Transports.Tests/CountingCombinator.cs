using Weft.Transports.Registry;

namespace Weft.Transports.Tests;

/// <summary>
/// A combinator <c>multi:N</c> that, like <c>stripe:N</c>, dials N connections of everything to its left; it
/// keeps the first and closes the others (the listener side drops all but every N-th). Counts inner dials.
/// </summary>
internal sealed class CountingCombinator : IConnectionCombinator
{
    private int _innerDials;

    public string Name => "multi";

    public int InnerDials => Volatile.Read(ref _innerDials);

    public Address? InnerAddressSeen { get; private set; }

    public IConnectionDialer CombineDialer(IConnectionDialer inner, ProtocolPart part)
    {
        InnerAddressSeen = inner.Address;
        return new Dialer(this, inner, part, int.Parse(part.Fields[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    public ValueTask<IConnectionListener> CombineListenerAsync(IConnectionListener inner, ProtocolPart part, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(new Listener(inner, part, int.Parse(part.Fields[0], System.Globalization.CultureInfo.InvariantCulture)));

    private sealed class Dialer(CountingCombinator owner, IConnectionDialer inner, ProtocolPart part, int count) : IConnectionDialer
    {
        public Address Address { get; } = inner.Address.Append(part);

        public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
        {
            var connections = new List<TransportConnection>();
            for (int i = 0; i < count; i++)
            {
                connections.Add(await inner.DialAsync(cancellationToken));
                Interlocked.Increment(ref owner._innerDials);
            }

            foreach (TransportConnection extra in connections.Skip(1))
            {
                await extra.DisposeAsync();
            }

            return connections[0].WithLayer(connections[0].Stream, part);
        }
    }

    private sealed class Listener(IConnectionListener inner, ProtocolPart part, int count) : IConnectionListener
    {
        public Address Address { get; } = inner.Address.Append(part);

        public async ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
        {
            TransportConnection first = await inner.AcceptAsync(cancellationToken);
            for (int i = 1; i < count; i++)
            {
                await (await inner.AcceptAsync(cancellationToken)).DisposeAsync();
            }

            return first.WithLayer(first.Stream, part);
        }

        public IReadOnlyList<Address> GetAdvertisedAddresses(AddressScope scope, AdvertiseOptions options) =>
            [.. inner.GetAdvertisedAddresses(scope, options).Select(a => a.Append(part))];

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
