using System.Collections.ObjectModel;
using System.Text;

namespace Weft.Transports;

/// <summary>
/// One protocol of an address: a name and its fields, e.g. <c>net:example.org:8008</c> (name <c>net</c>,
/// fields <c>example.org</c> and <c>8008</c>). Fields are stored unescaped; <see cref="ToString"/>
/// escapes <c>! : ; ~</c> as <c>!! !: !; !~</c>. Immutable; equality compares the name and every field.
/// </summary>
public sealed class ProtocolPart : IEquatable<ProtocolPart>
{
    private readonly string[] _fields;

    /// <summary>Creates a protocol part, validating the name and every field.</summary>
    /// <param name="name">The name: <c>[a-z][a-z0-9-]+</c>.</param>
    /// <param name="fields">Unescaped fields: printable ASCII without spaces (specials are escaped when printed).</param>
    /// <exception cref="ArgumentException">The name or a field cannot be written in the grammar.</exception>
    public ProtocolPart(string name, params IEnumerable<string> fields)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fields);
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a protocol name ([a-z][a-z0-9-]+, two or more characters).", nameof(name));
        }

        _fields = [.. fields];
        for (int i = 0; i < _fields.Length; i++)
        {
            string? field = _fields[i];
            if (field is null || !IsValidField(field))
            {
                throw new ArgumentException($"Field {i + 1} of '{name}' contains a character that cannot be written in an address (a space, a control character or non-ASCII).", nameof(fields));
            }
        }

        Name = name;
        Fields = new ReadOnlyCollection<string>(_fields);
    }

    internal ProtocolPart(string name, List<string> fields, bool validated)
    {
        _ = validated;
        Name = name;
        _fields = [.. fields];
        Fields = new ReadOnlyCollection<string>(_fields);
    }

    /// <summary>The protocol name, e.g. <c>net</c>, <c>ws</c>, <c>shs</c>.</summary>
    public string Name { get; }

    /// <summary>The unescaped fields after the name (possibly empty strings; possibly none).</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>Parses one protocol such as <c>shs:KEY</c>; <c>~</c> and <c>;</c> separators are rejected.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The parsed part.</returns>
    /// <exception cref="AddressFormatException">The text is not a single valid protocol.</exception>
    public static ProtocolPart Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return AddressParser.ParseProtocol(text);
    }

    /// <summary>Tries to parse one protocol; never throws for bad input.</summary>
    /// <param name="text">The text (null gives false).</param>
    /// <param name="part">The parsed part, or null.</param>
    /// <returns>Whether the text was a single valid protocol.</returns>
    public static bool TryParse(string? text, out ProtocolPart? part)
    {
        part = null;
        if (text is null)
        {
            return false;
        }

        try
        {
            part = AddressParser.ParseProtocol(text);
            return true;
        }
        catch (AddressFormatException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="name"/> matches <c>[a-z][a-z0-9-]+</c>.</summary>
    /// <param name="name">The candidate name.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidName(string? name)
    {
        if (name is null || name.Length < 2 || name[0] is < 'a' or > 'z')
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether an unescaped field can be written (printable ASCII other than space).</summary>
    /// <param name="field">The unescaped field.</param>
    /// <returns>True when it can be written.</returns>
    public static bool IsValidField(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        foreach (char c in field)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Escapes one field: <c>! : ; ~</c> become <c>!! !: !; !~</c>.</summary>
    /// <param name="field">The unescaped field.</param>
    /// <returns>The escaped text.</returns>
    public static string Escape(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (field.AsSpan().IndexOfAny("!:;~") < 0)
        {
            return field;
        }

        var builder = new StringBuilder(field.Length + 4);
        foreach (char c in field)
        {
            if (c is '!' or ':' or ';' or '~')
            {
                builder.Append('!');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>The fields joined with ':' (no escaping), e.g. the host of <c>net:fe80::1:8008</c> is fields[..^1] joined.</summary>
    /// <param name="start">First field index.</param>
    /// <param name="count">Number of fields.</param>
    /// <returns>The joined text.</returns>
    public string JoinFields(int start, int count) => string.Join(':', _fields, start, count);

    /// <summary>Writes the part in the grammar, escaping fields.</summary>
    /// <returns>Text such as <c>net:example.org:8008</c>.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder(Name);
        foreach (string field in _fields)
        {
            builder.Append(':').Append(Escape(field));
        }

        return builder.ToString();
    }

    /// <inheritdoc/>
    public bool Equals(ProtocolPart? other) =>
        other is not null && Name == other.Name && _fields.AsSpan().SequenceEqual(other._fields);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ProtocolPart);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name, StringComparer.Ordinal);
        foreach (string field in _fields)
        {
            hash.Add(field, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>Compares two parts by value.</summary>
    /// <param name="left">The left part.</param>
    /// <param name="right">The right part.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(ProtocolPart? left, ProtocolPart? right) => Equals(left, right);

    /// <summary>Compares two parts by value.</summary>
    /// <param name="left">The left part.</param>
    /// <param name="right">The right part.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(ProtocolPart? left, ProtocolPart? right) => !Equals(left, right);
}
