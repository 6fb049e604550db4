using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weft.Tunnel.Access;

/// <summary>
/// Which target hosts an ACL rule covers: <c>*</c> (everything), an exact host name (<c>db.internal</c>,
/// case-insensitive), a suffix wildcard (<c>*.example.com</c>, which does not match <c>example.com</c>), an
/// IP address (<c>10.0.0.5</c>, <c>::1</c>) or a CIDR block (<c>10.0.0.0/8</c>, <c>fd00::/8</c>).
/// </summary>
/// <remarks>
/// A name pattern matches the name the client asked for; an address pattern matches the address actually
/// connected to (a name is resolved first, and only its addresses inside the block are used). So
/// <c>10.0.0.0/8</c> lets a client reach <c>intranet.example</c> only if that name resolves into 10/8.
/// </remarks>
public sealed class HostPattern
{
    private readonly string? _name;
    private readonly string? _suffix;
    private readonly IPAddress? _network;
    private readonly int _prefixLength;

    private HostPattern(string text, string? name, string? suffix, IPAddress? network, int prefixLength, bool any)
    {
        Text = text;
        _name = name;
        _suffix = suffix;
        _network = network;
        _prefixLength = prefixLength;
        IsAny = any;
    }

    /// <summary>Every host.</summary>
    public static HostPattern Any { get; } = new("*", null, null, null, 0, any: true);

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>True for <c>*</c>.</summary>
    public bool IsAny { get; }

    /// <summary>True when the pattern is an address or CIDR block (it matches resolved addresses).</summary>
    public bool IsAddressPattern => _network is not null;

    /// <summary>Parses a pattern.</summary>
    /// <param name="text">The pattern.</param>
    /// <returns>The pattern.</returns>
    /// <exception cref="FormatException">Invalid.</exception>
    public static HostPattern Parse(string text) =>
        TryParse(text, out HostPattern? pattern)
            ? pattern
            : throw new FormatException($"'{text}' is not a host pattern (write *, a host name, *.domain, an IP address or a CIDR block such as 10.0.0.0/8).");

    /// <summary>Parses without throwing.</summary>
    /// <param name="text">The pattern.</param>
    /// <param name="pattern">The pattern when true.</param>
    /// <returns>True when valid.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out HostPattern? pattern)
    {
        pattern = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text == "*")
        {
            pattern = Any;
            return true;
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressPart = slash < 0 ? text : text[..slash];
        if (IPAddress.TryParse(addressPart.Trim('[', ']'), out IPAddress? address) && (addressPart.Contains('.', StringComparison.Ordinal) || addressPart.Contains(':', StringComparison.Ordinal)))
        {
            int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            int prefix = max;
            if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
            {
                return false;
            }

            pattern = new HostPattern(text, null, null, Mask(address, prefix), prefix, any: false);
            return true;
        }

        if (slash >= 0)
        {
            return false;
        }

        string lower = text.ToLowerInvariant();
        if (lower.StartsWith("*.", StringComparison.Ordinal) && Forwards.ForwardSpec.IsHost(lower[2..]))
        {
            pattern = new HostPattern(text, null, lower[1..], null, 0, any: false);
            return true;
        }

        if (Forwards.ForwardSpec.IsHost(lower) && !lower.Contains('*', StringComparison.Ordinal))
        {
            pattern = new HostPattern(text, lower, null, null, 0, any: false);
            return true;
        }

        return false;
    }

    /// <summary>Whether a requested host NAME matches (name patterns and <c>*</c>; an address pattern matches a literal address request).</summary>
    /// <param name="host">The host as the client wrote it.</param>
    /// <returns>True when it matches.</returns>
    public bool MatchesName(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (IsAny)
        {
            return true;
        }

        if (_network is not null)
        {
            return IPAddress.TryParse(host, out IPAddress? literal) && MatchesAddress(literal);
        }

        string lower = host.ToLowerInvariant().TrimEnd('.');
        return _name is not null ? lower == _name : lower.EndsWith(_suffix!, StringComparison.Ordinal);
    }

    /// <summary>Whether a resolved address matches (address patterns and <c>*</c> only).</summary>
    /// <param name="address">The address that would be connected to.</param>
    /// <returns>True when it matches.</returns>
    public bool MatchesAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (IsAny)
        {
            return true;
        }

        if (_network is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6 && _network.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        return address.AddressFamily == _network.AddressFamily && Mask(address, _prefixLength).Equals(_network);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(bytes);
    }
}
