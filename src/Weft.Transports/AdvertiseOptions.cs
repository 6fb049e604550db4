namespace Weft.Transports;

/// <summary>How a listener prints its own address per <see cref="AddressScope"/>.</summary>
public sealed class AdvertiseOptions
{
    /// <summary>The defaults: no public host names, local address detected from the network interfaces.</summary>
    public static AdvertiseOptions Default { get; } = new();

    /// <summary>
    /// Host names or addresses under which the server is reachable from anywhere; one address per host is
    /// printed for <see cref="AddressScope.Public"/>. Default: none, so public scope prints nothing.
    /// </summary>
    public IReadOnlyList<string> PublicHosts { get; init; } = [];

    /// <summary>
    /// Host name or address to print for <see cref="AddressScope.Local"/> instead of the detected address of
    /// the first up, non-loopback network interface. Default: null (detect).
    /// </summary>
    public string? LocalHost { get; init; }
}
