using Weft.Transports.Registry;

namespace Weft.Transports;

/// <summary>Options for <see cref="MultiAddressServer"/>.</summary>
public sealed class MultiAddressServerOptions
{
    /// <summary>How addresses are printed per scope (public host names, local override). Default: <see cref="AdvertiseOptions.Default"/>.</summary>
    public AdvertiseOptions Advertise { get; init; } = AdvertiseOptions.Default;

    /// <summary>Layer timeouts and limits for every listener. Default: <see cref="ListenerOptions.Default"/>.</summary>
    public ListenerOptions Listener { get; init; } = ListenerOptions.Default;

    /// <summary>Connections (from all listeners) that may wait for <see cref="MultiAddressServer.AcceptAsync"/>. Default: 64.</summary>
    public int AcceptBacklog { get; init; } = 64;

    /// <summary>Called when a listener stops on an error (its address and the error); the others keep running. Default: null.</summary>
    public Action<Address, Exception>? OnListenerError { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Advertise);
        ArgumentNullException.ThrowIfNull(Listener);
        ArgumentOutOfRangeException.ThrowIfLessThan(AcceptBacklog, 1, nameof(AcceptBacklog));
    }
}
