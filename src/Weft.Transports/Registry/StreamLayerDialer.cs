namespace Weft.Transports.Registry;

/// <summary>Dials the inner address, then applies one stream layer.</summary>
internal sealed class StreamLayerDialer : IConnectionDialer
{
    private readonly IConnectionDialer _inner;
    private readonly IStreamLayer _layer;
    private readonly ProtocolPart _part;

    public StreamLayerDialer(IConnectionDialer inner, IStreamLayer layer, ProtocolPart part)
    {
        _inner = inner;
        _layer = layer;
        _part = part;
        Address = inner.Address.Append(part);
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
    {
        TransportConnection connection = await _inner.DialAsync(cancellationToken).ConfigureAwait(false);
        return await StreamLayers.ApplyAsync(connection, _layer, _part, cancellationToken).ConfigureAwait(false);
    }
}
