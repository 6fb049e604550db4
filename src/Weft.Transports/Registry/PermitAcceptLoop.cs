using System.Threading.Channels;

namespace Weft.Transports.Registry;

/// <summary>
/// The accept loop that listeners wrapping another listener share: take a permit (so connections still in
/// their handshake stay bounded), accept one raw connection, hand it to the caller's handler, repeat until
/// <c>stop</c>. When the inner listener ends on its own, or fails, the ready channel is completed so that
/// waiting acceptors see it.
/// </summary>
internal static class PermitAcceptLoop
{
    /// <summary>Runs the loop. <paramref name="handle"/> owns the connection and the permit it was accepted under; it must not throw.</summary>
    public static async Task RunAsync(
        IConnectionListener inner,
        SemaphoreSlim permits,
        ChannelWriter<TransportConnection> ready,
        Action<TransportConnection> handle,
        CancellationToken stop)
    {
        Exception? failure = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await permits.WaitAsync(stop).ConfigureAwait(false);
                TransportConnection connection;
                try
                {
                    connection = await inner.AcceptAsync(stop).ConfigureAwait(false);
                }
                catch
                {
                    permits.Release();
                    throw;
                }

                handle(connection);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        if (failure is not null || !stop.IsCancellationRequested)
        {
            // The inner listener ended on its own: let waiting acceptors see it.
            ready.TryComplete(failure);
        }
    }
}
