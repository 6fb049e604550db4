using Weft.Mux.Protocol;

namespace Weft.Mux;

public sealed partial class MuxSession
{
    /// <summary>
    /// Pings at once (to measure the round trip that window auto-tuning uses) and then every
    /// <see cref="MuxOptions.KeepAliveInterval"/>; a ping unanswered for <see cref="MuxOptions.KeepAliveTimeout"/>
    /// ends the session.
    /// </summary>
    private async Task KeepAliveLoopAsync()
    {
        if (_gomux is not null)
        {
            await GomuxKeepAliveLoopAsync().ConfigureAwait(false);
            return;
        }

        CancellationToken stop = _abortCts.Token;
        try
        {
            while (!IsShutDown)
            {
                using (var timeout = new CancellationTokenSource(_options.KeepAliveTimeout, _time))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stop))
                {
                    try
                    {
                        await PingAsync(linked.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (timeout.IsCancellationRequested && !IsShutDown)
                    {
                        Shutdown(new MuxException(MuxError.KeepAliveTimeout, $"the peer did not answer a keepalive ping within {_options.KeepAliveTimeout.TotalSeconds:0.###} s"), goAway: null);
                        return;
                    }
                }

                await Task.Delay(_options.KeepAliveInterval, _time, stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or MuxException)
        {
            // The session ended; nothing to keep alive.
        }
    }

    /// <summary>
    /// gomux: a Keepalive frame after <see cref="MuxOptions.KeepAliveInterval"/> in which nothing was written (gomux
    /// itself waits 10 minutes). gomux answers nothing, so there is no timeout: a dead connection shows as a
    /// failed write or read.
    /// </summary>
    private async Task GomuxKeepAliveLoopAsync()
    {
        CancellationToken stop = _abortCts.Token;
        try
        {
            long seen = 0;
            while (!IsShutDown)
            {
                await Task.Delay(_options.KeepAliveInterval, _time, stop).ConfigureAwait(false);
                long sent;
                lock (_outLock)
                {
                    sent = _batchesSent + (_outLength > 0 ? 1 : 0);
                }

                if (sent == seen)
                {
                    EnqueueControl(new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Syn, 0, 0), isReply: false);
                }

                seen = sent;
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended; nothing to keep alive.
        }
    }
}
