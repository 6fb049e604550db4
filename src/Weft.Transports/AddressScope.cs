namespace Weft.Transports;

/// <summary>Who an advertised address is meant for (multiserver's scopes).</summary>
public enum AddressScope
{
    /// <summary>Processes on the same device: loopback addresses and Unix sockets.</summary>
    Device,

    /// <summary>Hosts on the local network: the machine's own non-loopback address.</summary>
    Local,

    /// <summary>Anyone: the configured external host names.</summary>
    Public,
}
