namespace Weft.Transports.Registry;

/// <summary>Runs a stream layer and normalises its failures.</summary>
internal static class StreamLayers
{
    /// <summary>Applies the layer; on any failure disposes the connection and throws a <see cref="TransportException"/> (or the cancellation).</summary>
    public static async ValueTask<TransportConnection> ApplyAsync(TransportConnection connection, IStreamLayer layer, ProtocolPart part, CancellationToken cancellationToken)
    {
        try
        {
            return await layer.ApplyAsync(connection, part, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await Quietly.DisposeAsync(connection).ConfigureAwait(false);
            if (ex is TransportException or OperationCanceledException)
            {
                throw;
            }

            throw new TransportException(TransportError.LayerFailed, $"Layer '{part.Name}' failed on {connection.Address}: {ex.Message}", ex);
        }
    }
}
