using System.Collections.ObjectModel;

namespace Weft.Transports;

/// <summary>
/// Alternatives separated by <c>;</c>, e.g. <c>net:host:8008~shs:KEY;wss://host~shs:KEY</c>.
/// A client uses the first alternative it understands (and Weft falls through to later ones on failure).
/// Immutable; equality compares every alternative in order.
/// </summary>
public sealed class MultiAddress : IEquatable<MultiAddress>
{
    private readonly Address[] _alternatives;

    /// <summary>Creates a multiaddress from one or more alternatives.</summary>
    /// <param name="alternatives">At least one address.</param>
    /// <exception cref="ArgumentException">No alternatives were given.</exception>
    public MultiAddress(params IEnumerable<Address> alternatives)
    {
        ArgumentNullException.ThrowIfNull(alternatives);
        _alternatives = [.. alternatives];
        if (_alternatives.Length == 0)
        {
            throw new ArgumentException("A multiaddress needs at least one address.", nameof(alternatives));
        }

        foreach (Address address in _alternatives)
        {
            ArgumentNullException.ThrowIfNull(address, nameof(alternatives));
        }

        Alternatives = new ReadOnlyCollection<Address>(_alternatives);
    }

    internal MultiAddress(List<Address> alternatives, bool validated)
    {
        _ = validated;
        _alternatives = [.. alternatives];
        Alternatives = new ReadOnlyCollection<Address>(_alternatives);
    }

    /// <summary>The alternatives in order of preference.</summary>
    public IReadOnlyList<Address> Alternatives { get; }

    /// <summary>Parses a multiaddress.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The multiaddress.</returns>
    /// <exception cref="AddressFormatException">The text is not valid; the exception says where and why.</exception>
    public static MultiAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return AddressParser.ParseMulti(text);
    }

    /// <summary>Tries to parse a multiaddress; never throws for bad input.</summary>
    /// <param name="text">The text (null gives false).</param>
    /// <param name="address">The multiaddress, or null.</param>
    /// <returns>Whether the text was valid.</returns>
    public static bool TryParse(string? text, out MultiAddress? address)
    {
        address = null;
        if (text is null)
        {
            return false;
        }

        try
        {
            address = AddressParser.ParseMulti(text);
            return true;
        }
        catch (AddressFormatException)
        {
            return false;
        }
    }

    /// <summary>Writes the multiaddress (alternatives joined by <c>;</c>).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Join(';', (IEnumerable<Address>)_alternatives);

    /// <inheritdoc/>
    public bool Equals(MultiAddress? other) =>
        other is not null && _alternatives.AsSpan().SequenceEqual(other._alternatives);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as MultiAddress);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (Address address in _alternatives)
        {
            hash.Add(address);
        }

        return hash.ToHashCode();
    }

    /// <summary>Compares two multiaddresses by value.</summary>
    /// <param name="left">The left value.</param>
    /// <param name="right">The right value.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(MultiAddress? left, MultiAddress? right) => Equals(left, right);

    /// <summary>Compares two multiaddresses by value.</summary>
    /// <param name="left">The left value.</param>
    /// <param name="right">The right value.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(MultiAddress? left, MultiAddress? right) => !Equals(left, right);
}
