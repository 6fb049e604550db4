using Microsoft.Extensions.Logging;
using Weft.Tunnel.Status;

namespace Weft.Tunnel;

/// <summary>
/// The lifecycle shared by the three hosts: the <see cref="ITunnelHost.Completion"/> task and the
/// <see cref="ITunnelHost.Changed"/> event. Handlers run on the thread that saw the change; one that throws is
/// logged and does not disturb the host.
/// </summary>
internal sealed class HostLifecycle(object sender, ILogger logger)
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public event EventHandler<TunnelEventArgs>? Changed;

    public Task Completion => _completion.Task;

    public void Raise(TunnelEventArgs change)
    {
        EventHandler<TunnelEventArgs>? handlers = Changed;
        if (handlers is null)
        {
            return;
        }

        foreach (EventHandler<TunnelEventArgs> handler in handlers.GetInvocationList().Cast<EventHandler<TunnelEventArgs>>())
        {
            try
            {
                handler(sender, change);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.EventHandlerFailed(logger, change.Kind.ToString(), ex);
            }
        }
    }

    public void Stopped() => _completion.TrySetResult();
}
