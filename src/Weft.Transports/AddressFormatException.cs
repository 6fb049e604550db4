namespace Weft.Transports;

/// <summary>
/// Thrown when text is not a valid address under the multiserver grammar (see <c>docs/addresses.md</c>).
/// <see cref="Position"/> is the zero-based index of the offending character in <see cref="Input"/>;
/// <see cref="AlternativeIndex"/>, <see cref="ProtocolIndex"/> and <see cref="FieldIndex"/> say which part it is in.
/// </summary>
public sealed class AddressFormatException : FormatException
{
    private const int MaxQuotedInput = 200;

    /// <summary>Creates an exception for <paramref name="error"/> at <paramref name="position"/> of <paramref name="input"/>.</summary>
    /// <param name="input">The whole text that was being parsed.</param>
    /// <param name="position">Zero-based index of the offending character (may equal the input length for "unexpected end").</param>
    /// <param name="error">What is wrong.</param>
    /// <param name="alternativeIndex">Zero-based index of the alternative (between <c>;</c>).</param>
    /// <param name="protocolIndex">Zero-based index of the protocol within the alternative (between <c>~</c>).</param>
    /// <param name="fieldIndex">Zero-based index of the field (after the name), or -1 for the name itself.</param>
    public AddressFormatException(string input, int position, AddressError error, int alternativeIndex, int protocolIndex, int fieldIndex)
        : base(BuildMessage(input, position, error, alternativeIndex, protocolIndex, fieldIndex))
    {
        Input = input;
        Position = position;
        Error = error;
        AlternativeIndex = alternativeIndex;
        ProtocolIndex = protocolIndex;
        FieldIndex = fieldIndex;
    }

    /// <summary>Creates an exception with a message only; prefer the detailed constructor.</summary>
    public AddressFormatException()
        : this(string.Empty, 0, AddressError.EmptyInput, 0, 0, -1)
    {
    }

    /// <summary>Creates an exception with a message only; prefer the detailed constructor.</summary>
    /// <param name="message">The message.</param>
    public AddressFormatException(string message)
        : base(message)
    {
        Input = string.Empty;
    }

    /// <summary>Creates an exception with a message and an inner exception; prefer the detailed constructor.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public AddressFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Input = string.Empty;
    }

    /// <summary>The text that failed to parse.</summary>
    public string Input { get; }

    /// <summary>Zero-based index of the offending character in <see cref="Input"/>.</summary>
    public int Position { get; }

    /// <summary>What is wrong.</summary>
    public AddressError Error { get; }

    /// <summary>Zero-based index of the alternative (the text between <c>;</c> separators).</summary>
    public int AlternativeIndex { get; }

    /// <summary>Zero-based index of the protocol within its alternative (the text between <c>~</c> separators).</summary>
    public int ProtocolIndex { get; }

    /// <summary>Zero-based index of the field after the protocol name, or -1 when the name itself is wrong.</summary>
    public int FieldIndex { get; }

    private static string BuildMessage(string input, int position, AddressError error, int alternativeIndex, int protocolIndex, int fieldIndex)
    {
        string where = fieldIndex < 0
            ? $"alternative {alternativeIndex + 1}, protocol {protocolIndex + 1}, name"
            : $"alternative {alternativeIndex + 1}, protocol {protocolIndex + 1}, field {fieldIndex + 1}";
        string found = position < input.Length ? $"'{Printable(input[position])}'" : "end of input";
        string quoted = input.Length <= MaxQuotedInput ? input : string.Concat(input.AsSpan(0, MaxQuotedInput), "…");
        return $"Invalid address at position {position} ({where}, found {found}): {Describe(error)}. Input: \"{quoted}\"";
    }

    private static string Printable(char c) =>
        c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}";

    private static string Describe(AddressError error) => error switch
    {
        AddressError.EmptyInput => "the address is empty",
        AddressError.EmptyAlternative => "an alternative between ';' separators is empty",
        AddressError.EmptyProtocol => "a protocol between '~' separators is empty",
        AddressError.MissingName => "a protocol must start with a name",
        AddressError.NameTooShort => "a protocol name needs at least two characters ([a-z][a-z0-9-]+)",
        AddressError.NameMustStartWithLetter => "a protocol name must start with a lower-case letter a-z",
        AddressError.UpperCaseName => "protocol names are lower case",
        AddressError.InvalidNameCharacter => "a protocol name may contain only a-z, 0-9 and '-'",
        AddressError.SpaceNotAllowed => "a space cannot appear in an address",
        AddressError.InvalidDataCharacter => "only printable ASCII may appear in an address",
        AddressError.InvalidEscape => "'!' must be followed by one of ! : ; ~",
        AddressError.DanglingEscape => "the address ends inside an escape ('!' must be followed by one of ! : ; ~)",
        AddressError.UnexpectedSeparator => "this separator is not allowed here (a single address or protocol was expected)",
        _ => error.ToString(),
    };
}
