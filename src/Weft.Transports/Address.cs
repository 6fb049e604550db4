using System.Collections.ObjectModel;

namespace Weft.Transports;

/// <summary>
/// One address: a transport followed by zero or more layers, separated by <c>~</c>, e.g.
/// <c>net:example.org:8008~shs:KEY</c>. Immutable; equality compares every part.
/// </summary>
public sealed class Address : IEquatable<Address>
{
    private readonly ProtocolPart[] _parts;

    /// <summary>Creates an address from its parts (the first is the transport).</summary>
    /// <param name="parts">At least one part.</param>
    /// <exception cref="ArgumentException">No parts were given.</exception>
    public Address(params IEnumerable<ProtocolPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        _parts = [.. parts];
        if (_parts.Length == 0)
        {
            throw new ArgumentException("An address needs at least a transport.", nameof(parts));
        }

        foreach (ProtocolPart part in _parts)
        {
            ArgumentNullException.ThrowIfNull(part, nameof(parts));
        }

        Parts = new ReadOnlyCollection<ProtocolPart>(_parts);
    }

    internal Address(List<ProtocolPart> parts, bool validated)
    {
        _ = validated;
        _parts = [.. parts];
        Parts = new ReadOnlyCollection<ProtocolPart>(_parts);
    }

    /// <summary>All parts: the transport first, then the layers in the order they are applied.</summary>
    public IReadOnlyList<ProtocolPart> Parts { get; }

    /// <summary>The first part, the transport (e.g. <c>net</c>, <c>ws</c>).</summary>
    public ProtocolPart Transport => _parts[0];

    /// <summary>The parts after the transport, applied left to right (e.g. <c>shs</c>, <c>stripe</c>).</summary>
    public IReadOnlyList<ProtocolPart> Layers => new ArraySegment<ProtocolPart>(_parts, 1, _parts.Length - 1);

    /// <summary>Parses one address; a <c>;</c> is rejected (use <see cref="MultiAddress"/>).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The address.</returns>
    /// <exception cref="AddressFormatException">The text is not one valid address.</exception>
    public static Address Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return AddressParser.ParseAddress(text);
    }

    /// <summary>Tries to parse one address; never throws for bad input.</summary>
    /// <param name="text">The text (null gives false).</param>
    /// <param name="address">The address, or null.</param>
    /// <returns>Whether the text was one valid address.</returns>
    public static bool TryParse(string? text, out Address? address)
    {
        address = null;
        if (text is null)
        {
            return false;
        }

        try
        {
            address = AddressParser.ParseAddress(text);
            return true;
        }
        catch (AddressFormatException)
        {
            return false;
        }
    }

    /// <summary>A new address with <paramref name="layer"/> appended.</summary>
    /// <param name="layer">The part to append.</param>
    /// <returns>The longer address.</returns>
    public Address Append(ProtocolPart layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new Address([.. _parts, layer]);
    }

    /// <summary>A new address with the transport replaced and the layers kept.</summary>
    /// <param name="transport">The new transport part.</param>
    /// <returns>The new address.</returns>
    public Address WithTransport(ProtocolPart transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ProtocolPart[] parts = [.. _parts];
        parts[0] = transport;
        return new Address(parts);
    }

    /// <summary>Writes the address in the grammar (parts joined by <c>~</c>, fields escaped).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Join('~', (IEnumerable<ProtocolPart>)_parts);

    /// <inheritdoc/>
    public bool Equals(Address? other) =>
        other is not null && _parts.AsSpan().SequenceEqual(other._parts);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Address);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (ProtocolPart part in _parts)
        {
            hash.Add(part);
        }

        return hash.ToHashCode();
    }

    /// <summary>Compares two addresses by value.</summary>
    /// <param name="left">The left address.</param>
    /// <param name="right">The right address.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(Address? left, Address? right) => Equals(left, right);

    /// <summary>Compares two addresses by value.</summary>
    /// <param name="left">The left address.</param>
    /// <param name="right">The right address.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(Address? left, Address? right) => !Equals(left, right);
}
