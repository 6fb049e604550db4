namespace Weft.Transports;

/// <summary>What is wrong with an address that failed to parse (see <see cref="AddressFormatException"/>).</summary>
public enum AddressError
{
    /// <summary>The input is empty.</summary>
    EmptyInput,

    /// <summary>An alternative between <c>;</c> separators is empty (leading, trailing or doubled <c>;</c>).</summary>
    EmptyAlternative,

    /// <summary>A protocol between <c>~</c> separators is empty (leading, trailing or doubled <c>~</c>).</summary>
    EmptyProtocol,

    /// <summary>A protocol has no name before its first <c>:</c>.</summary>
    MissingName,

    /// <summary>A protocol name has fewer than two characters.</summary>
    NameTooShort,

    /// <summary>A protocol name does not start with a lower-case letter <c>a-z</c>.</summary>
    NameMustStartWithLetter,

    /// <summary>A protocol name contains an upper-case letter (names are lower case).</summary>
    UpperCaseName,

    /// <summary>A protocol name contains a character other than <c>a-z</c>, <c>0-9</c> and <c>-</c>.</summary>
    InvalidNameCharacter,

    /// <summary>A field contains a space, which the grammar cannot carry.</summary>
    SpaceNotAllowed,

    /// <summary>A field contains a control character or a character outside printable ASCII.</summary>
    InvalidDataCharacter,

    /// <summary><c>!</c> is followed by a character other than <c>! : ; ~</c>.</summary>
    InvalidEscape,

    /// <summary>The input ends with an unfinished escape <c>!</c>.</summary>
    DanglingEscape,

    /// <summary>A separator appears where a single address (<c>;</c>) or a single protocol (<c>~</c> or <c>;</c>) was expected.</summary>
    UnexpectedSeparator,
}
