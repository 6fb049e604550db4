using Weft.Testing;

namespace Weft.Mux.Tests.Conformance;

/// <summary>
/// The connected-stream conformance suite on <see cref="MuxStream"/>: a client session opens one stream
/// and a server session accepts it, over whatever connection <see cref="ConnectAsync"/> makes.
/// Half-close is <see cref="MuxStream.CompleteWrites"/>, abort is <see cref="MuxStream.Abort"/> in both
/// directions (RST), timeouts apply, and the stream window gives back-pressure.
/// </summary>
public abstract class MuxStreamConformanceTests : ConnectedStreamConformanceTests
{
    protected override bool SupportsHalfClose => true;

    protected override bool SupportsAbort => true;

    protected override bool SupportsTimeouts => true;

    /// <summary>The dialect both sessions speak (yamux unless a subclass says otherwise).</summary>
    protected virtual MuxDialect Dialect => MuxDialect.Yamux;

    /// <summary>Makes the connection the two sessions run over.</summary>
    /// <param name="cancellationToken">The test's timeout token.</param>
    /// <returns>The client end and the server end; each session owns and disposes its end.</returns>
    protected abstract Task<(Stream Client, Stream Server)> ConnectAsync(CancellationToken cancellationToken);

    protected override async Task<StreamPair> CreateConnectedStreamsAsync(CancellationToken cancellationToken)
    {
        var (clientEnd, serverEnd) = await ConnectAsync(cancellationToken);
        MuxSession client = MuxSession.CreateClient(clientEnd, new MuxOptions { Dialect = Dialect });
        MuxSession server = MuxSession.CreateServer(serverEnd, new MuxOptions { Dialect = Dialect });
        try
        {
            MuxStream opened = await client.OpenStreamAsync(cancellationToken);
            MuxStream accepted = await server.AcceptStreamAsync(cancellationToken);
            return new StreamPair(opened, accepted, async () =>
            {
                await client.DisposeAsync();
                await server.DisposeAsync();
            });
        }
        catch
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
            throw;
        }
    }

    protected override ValueTask CompleteWritesAsync(Stream stream)
    {
        ((MuxStream)stream).CompleteWrites();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask AbortAsync(Stream stream)
    {
        ((MuxStream)stream).Abort(MuxAbortDirection.Both);
        return ValueTask.CompletedTask;
    }
}
