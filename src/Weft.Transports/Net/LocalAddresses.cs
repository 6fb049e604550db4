using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Weft.Transports.Net;

/// <summary>Finds the machine's own address for local-scope advertising.</summary>
internal static class LocalAddresses
{
    /// <summary>
    /// The first unicast address of an up, non-loopback interface, IPv4 preferred; IPv6 link-local
    /// addresses are skipped (they need a zone to be usable). Null when there is none.
    /// </summary>
    public static IPAddress? FindLocal(bool allowIPv4, bool allowIPv6)
    {
        IPAddress[] candidates;
        try
        {
            candidates =
            [
                .. NetworkInterface.GetAllNetworkInterfaces()
                    .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                    .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                    .Select(u => u.Address)
                    .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal),
            ];
        }
        catch (NetworkInformationException)
        {
            return null;
        }

        return candidates.FirstOrDefault(a => allowIPv4 && a.AddressFamily == AddressFamily.InterNetwork)
            ?? candidates.FirstOrDefault(a => allowIPv6 && a.AddressFamily == AddressFamily.InterNetworkV6);
    }
}
