using Weft.Transports.Registry;

namespace Weft.Transports.Tests;

/// <summary>
/// A combinator <c>multi:N</c> that, like <c>stripe:N</c>, dials N connections of everything to its left; it
/// keeps the first and closes the others (the listener side drops all but every N-th). Counts inner dials.
/// </summary>
internal sealed class CountingCombinator : IConnectionCombinator
{
    private readonly List<TransportConnection> _extras = [];
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
        ValueTask.FromResult<IConnectionListener>(new Listener(this, inner, part, int.Parse(part.Fields[0], System.Globalization.CultureInfo.InvariantCulture)));

    private async ValueTask DisposeExtrasAsync()
    {
        TransportConnection[] extras;
        lock (_extras)
        {
            extras = [.. _extras];
            _extras.Clear();
        }

        foreach (TransportConnection extra in extras)
        {
            await extra.DisposeAsync();
        }
    }

    private sealed class Dialer(CountingCombinator owner, IConnectionDialer inner, ProtocolPart part, int count) : IConnectionDialer
    {
        public Address Address { get; } = inner.Address.Append(part);

        public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
        {
            // Every leg is marked (1 = the one the caller gets, 0 = extra) and the extras stay open until the
            // listener has accepted all of them: closing one early could race the server side of its layers.
            var connections = new List<TransportConnection>();
            for (int i = 0; i < count; i++)
            {
                TransportConnection leg = await inner.DialAsync(cancellationToken);
                connections.Add(leg);
                Interlocked.Increment(ref owner._innerDials);
                await leg.Stream.WriteAsync(new[] { (byte)(i == 0 ? 1 : 0) }, cancellationToken);
                await leg.Stream.FlushAsync(cancellationToken);
            }

            lock (owner._extras)
            {
                owner._extras.AddRange(connections.Skip(1));
            }

            return connections[0].WithLayer(connections[0].Stream, part);
        }
    }

    private sealed class Listener(CountingCombinator owner, IConnectionListener inner, ProtocolPart part, int count) : IConnectionListener
    {
        public Address Address { get; } = inner.Address.Append(part);

        public async ValueTask<TransportConnection> AcceptAsync(CancellationToken cancellationToken = default)
        {
            TransportConnection? main = null;
            byte[] mark = new byte[1];
            for (int i = 0; i < count; i++)
            {
                TransportConnection leg = await inner.AcceptAsync(cancellationToken);
                await leg.Stream.ReadExactlyAsync(mark, cancellationToken);
                if (mark[0] == 1 && main is null)
                {
                    main = leg;
                }
                else
                {
                    await leg.DisposeAsync();
                }
            }

            await owner.DisposeExtrasAsync();
            return main!.WithLayer(main.Stream, part);
        }

        public IReadOnlyList<Address> GetAdvertisedAddresses(AddressScope scope, AdvertiseOptions options) =>
            [.. inner.GetAdvertisedAddresses(scope, options).Select(a => a.Append(part))];

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
