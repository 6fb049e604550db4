using System.Text;

namespace Weft.Transports;

/// <summary>
/// One-pass parser for the multiserver grammar:
/// <code>
/// name         = [a-z] [a-z0-9-]+
/// data         = printable ASCII except space ! : ; ~   (escaped as !! !: !; !~)
/// protocol     = name ( ":" data )*
/// address      = protocol ( "~" protocol )*
/// multiaddress = address ( ";" address )*
/// </code>
/// Never throws anything but <see cref="AddressFormatException"/> for bad input.
/// </summary>
internal ref struct AddressParser
{
    private readonly string _input;
    private int _pos;
    private int _alternative;
    private int _protocol;

    private AddressParser(string input)
    {
        _input = input;
        _pos = 0;
        _alternative = 0;
        _protocol = 0;
    }

    /// <summary>Parses a whole multiaddress.</summary>
    public static MultiAddress ParseMulti(string input)
    {
        var parser = new AddressParser(input);
        parser.RequireNonEmpty();
        var alternatives = new List<Address>();
        while (true)
        {
            alternatives.Add(parser.ReadAddress());
            if (parser._pos == input.Length)
            {
                return new MultiAddress(alternatives, validated: true);
            }

            // ReadAddress stops only at ';' or the end.
            parser._pos++;
            parser._alternative++;
        }
    }

    /// <summary>Parses exactly one address (no ';').</summary>
    public static Address ParseAddress(string input)
    {
        var parser = new AddressParser(input);
        parser.RequireNonEmpty();
        Address address = parser.ReadAddress();
        if (parser._pos != input.Length)
        {
            throw parser.Error(AddressError.UnexpectedSeparator, 0);
        }

        return address;
    }

    /// <summary>Parses exactly one protocol (no '~' or ';').</summary>
    public static ProtocolPart ParseProtocol(string input)
    {
        var parser = new AddressParser(input);
        parser.RequireNonEmpty();
        ProtocolPart part = parser.ReadProtocol();
        if (parser._pos != input.Length)
        {
            throw parser.Error(AddressError.UnexpectedSeparator, 0);
        }

        return part;
    }

    private readonly void RequireNonEmpty()
    {
        if (_input.Length == 0)
        {
            throw Error(AddressError.EmptyInput, -1);
        }
    }

    private Address ReadAddress()
    {
        _protocol = 0;
        if (_pos == _input.Length || _input[_pos] == ';')
        {
            throw Error(AddressError.EmptyAlternative, -1);
        }

        var parts = new List<ProtocolPart>();
        while (true)
        {
            parts.Add(ReadProtocol());
            if (_pos == _input.Length || _input[_pos] == ';')
            {
                return new Address(parts, validated: true);
            }

            // ReadProtocol stops only at '~', ';' or the end.
            _pos++;
            _protocol++;
        }
    }

    private ProtocolPart ReadProtocol()
    {
        int start = _pos;
        while (_pos < _input.Length && !IsSeparator(_input[_pos]))
        {
            char c = _input[_pos];
            bool first = _pos == start;
            if (c is >= 'a' and <= 'z' || (!first && (c is >= '0' and <= '9' || c == '-')))
            {
                _pos++;
                continue;
            }

            AddressError error = c switch
            {
                >= 'A' and <= 'Z' => AddressError.UpperCaseName,
                >= '0' and <= '9' or '-' => AddressError.NameMustStartWithLetter,
                _ => AddressError.InvalidNameCharacter,
            };
            throw Error(error, -1);
        }

        int nameLength = _pos - start;
        if (nameLength == 0)
        {
            bool emptyProtocol = _pos == _input.Length || _input[_pos] is '~' or ';';
            throw Error(emptyProtocol ? AddressError.EmptyProtocol : AddressError.MissingName, -1);
        }

        if (nameLength == 1)
        {
            _pos = start;
            throw Error(AddressError.NameTooShort, -1);
        }

        string name = _input.Substring(start, nameLength);
        var fields = new List<string>();
        var builder = new StringBuilder();
        while (_pos < _input.Length && _input[_pos] == ':')
        {
            _pos++;
            builder.Clear();
            int field = fields.Count;
            while (_pos < _input.Length && !IsSeparator(_input[_pos]))
            {
                char c = _input[_pos];
                if (c == '!')
                {
                    if (_pos + 1 == _input.Length)
                    {
                        throw Error(AddressError.DanglingEscape, field);
                    }

                    char escaped = _input[_pos + 1];
                    if (escaped is not ('!' or ':' or ';' or '~'))
                    {
                        throw Error(AddressError.InvalidEscape, field);
                    }

                    builder.Append(escaped);
                    _pos += 2;
                    continue;
                }

                if (c == ' ')
                {
                    throw Error(AddressError.SpaceNotAllowed, field);
                }

                if (c is < '!' or > '~')
                {
                    throw Error(AddressError.InvalidDataCharacter, field);
                }

                builder.Append(c);
                _pos++;
            }

            fields.Add(builder.ToString());
        }

        return new ProtocolPart(name, fields, validated: true);
    }

    private static bool IsSeparator(char c) => c is ':' or '~' or ';';

    private readonly AddressFormatException Error(AddressError error, int field) =>
        new(_input, _pos, error, _alternative, _protocol, field);
}
