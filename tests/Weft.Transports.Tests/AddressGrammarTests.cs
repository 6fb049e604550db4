using Weft.Transports.Net;

namespace Weft.Transports.Tests;

public sealed class AddressGrammarTests
{
    public static TheoryData<string, string[][]> ValidAddresses => new()
    {
        { "net:localhost:8008", [["net", "localhost", "8008"]] },
        { "net:fe80::1:8008", [["net", "fe80", "", "1", "8008"]] },
        { "net:::1:8008", [["net", "", "", "1", "8008"]] },
        { "shs:::", [["shs", "", "", ""]] },
        { "shs", [["shs"]] },
        { "ws://example.org:80", [["ws", "//example.org", "80"]] },
        { "wss://example.org", [["wss", "//example.org"]] },
        { "ws://[::1]:8080/mux", [["ws", "//[", "", "1]", "8080/mux"]] },
        { "a-:x", [["a-", "x"]] },
        { "x1:", [["x1", ""]] },
        { "net:!!:1", [["net", "!", "1"]] },
        { "ab:x!:y!;z!~w!!v", [["ab", "x:y;z~w!v"]] },
        { "ab:!:!;!~!!", [["ab", ":;~!"]] },
        { "ab:\"#$%&'()*+,-./0-9<=>?@[\\]^_`{|}", [["ab", "\"#$%&'()*+,-./0-9<=>?@[\\]^_`{|}"]] },
        { "net:wx.larpa.net:8008~shs:DTNmX+4SjsgZ7xyDh5xxmNtFqa6pWi5Qtw7cE8aR9TQ=", [["net", "wx.larpa.net", "8008"], ["shs", "DTNmX+4SjsgZ7xyDh5xxmNtFqa6pWi5Qtw7cE8aR9TQ="]] },
    };

    [Theory]
    [MemberData(nameof(ValidAddresses))]
    public void Address_ValidText_ParsesIntoPartsAndPrintsBack(string text, string[][] expected)
    {
        Address address = Address.Parse(text);

        Assert.Equal(expected.Length, address.Parts.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i][0], address.Parts[i].Name);
            Assert.Equal(expected[i][1..], address.Parts[i].Fields);
        }

        Assert.Equal(text, address.ToString());
        Assert.True(Address.TryParse(text, out Address? again));
        Assert.Equal(address, again);
    }

    [Fact]
    public void MultiAddress_ThreeAlternativesWithLayers_SplitsTransportAndLayers()
    {
        var multi = MultiAddress.Parse("net:h:1~shs:K~noauth;ws://h~shs:K;unix:/srv/a!:b.sock");

        Assert.Equal(3, multi.Alternatives.Count);
        Assert.Equal("net", multi.Alternatives[0].Transport.Name);
        Assert.Equal(["shs", "noauth"], multi.Alternatives[0].Layers.Select(l => l.Name));
        Assert.Empty(multi.Alternatives[2].Layers);
        Assert.Equal("/srv/a:b.sock", multi.Alternatives[2].Transport.Fields[0]);
        Assert.Equal("net:h:1~shs:K~noauth;ws://h~shs:K;unix:/srv/a!:b.sock", multi.ToString());
    }

    [Fact]
    public void ProtocolPart_FieldsWithSpecials_EscapedWhenPrinted()
    {
        var part = new ProtocolPart("shs", "a:b", "c;d", "e~f", "g!h", "");

        Assert.Equal("shs:a!:b:c!;d:e!~f:g!!h:", part.ToString());
        Assert.Equal(part, ProtocolPart.Parse(part.ToString()));
    }

    [Theory]
    [InlineData("N")]
    [InlineData("n")]
    [InlineData("Net")]
    [InlineData("1net")]
    [InlineData("ne_t")]
    [InlineData("")]
    public void ProtocolPart_InvalidName_ThrowsArgumentException(string name)
    {
        Assert.Throws<ArgumentException>(() => new ProtocolPart(name, "x"));
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("tab\there")]
    [InlineData("é")]
    public void ProtocolPart_UnwritableField_ThrowsArgumentException(string field)
    {
        Assert.Throws<ArgumentException>(() => new ProtocolPart("net", field));
    }

    public static TheoryData<string, int, AddressError, int, int, int> InvalidAddresses => new()
    {
        // input, position, error, alternative, protocol, field (-1 = name)
        { "", 0, AddressError.EmptyInput, 0, 0, -1 },
        { ";", 0, AddressError.EmptyAlternative, 0, 0, -1 },
        { ";net:a:1", 0, AddressError.EmptyAlternative, 0, 0, -1 },
        { "net:a:1;", 8, AddressError.EmptyAlternative, 1, 0, -1 },
        { "net:a:1;;ws://x", 8, AddressError.EmptyAlternative, 1, 0, -1 },
        { "~shs", 0, AddressError.EmptyProtocol, 0, 0, -1 },
        { "net:a:1~", 8, AddressError.EmptyProtocol, 0, 1, -1 },
        { "net:a:1~~shs", 8, AddressError.EmptyProtocol, 0, 1, -1 },
        { "net:a:1~;ws://x", 8, AddressError.EmptyProtocol, 0, 1, -1 },
        { ":x", 0, AddressError.MissingName, 0, 0, -1 },
        { "n:x", 0, AddressError.NameTooShort, 0, 0, -1 },
        { "n", 0, AddressError.NameTooShort, 0, 0, -1 },
        { "net:host:1;x", 11, AddressError.NameTooShort, 1, 0, -1 },
        { "net:a;b", 6, AddressError.NameTooShort, 1, 0, -1 },
        { "Net:x", 0, AddressError.UpperCaseName, 0, 0, -1 },
        { "nEt:x", 1, AddressError.UpperCaseName, 0, 0, -1 },
        { "shs:x~Shs:y", 6, AddressError.UpperCaseName, 0, 1, -1 },
        { "1net", 0, AddressError.NameMustStartWithLetter, 0, 0, -1 },
        { "-net", 0, AddressError.NameMustStartWithLetter, 0, 0, -1 },
        { "ne_t:x", 2, AddressError.InvalidNameCharacter, 0, 0, -1 },
        { "a b", 1, AddressError.InvalidNameCharacter, 0, 0, -1 },
        { "ws//x", 2, AddressError.InvalidNameCharacter, 0, 0, -1 },
        { "net:a b", 5, AddressError.SpaceNotAllowed, 0, 0, 0 },
        { "net: ", 4, AddressError.SpaceNotAllowed, 0, 0, 0 },
        { "net:h:1;ws://h~shs:a b", 20, AddressError.SpaceNotAllowed, 1, 1, 0 },
        { "net:a!b", 5, AddressError.InvalidEscape, 0, 0, 0 },
        { "net:a:!x", 6, AddressError.InvalidEscape, 0, 0, 1 },
        { "net:a! ", 5, AddressError.InvalidEscape, 0, 0, 0 },
        { "net:ab!", 6, AddressError.DanglingEscape, 0, 0, 0 },
        { "net:a:b:c!", 9, AddressError.DanglingEscape, 0, 0, 2 },
        { "net:a\tb", 5, AddressError.InvalidDataCharacter, 0, 0, 0 },
        { "net:é", 4, AddressError.InvalidDataCharacter, 0, 0, 0 },
        { "net:a\u007f", 5, AddressError.InvalidDataCharacter, 0, 0, 0 },
        { "net:a\n", 5, AddressError.InvalidDataCharacter, 0, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidAddresses))]
    public void MultiAddress_InvalidText_ThrowsWithExactPosition(string text, int position, AddressError error, int alternative, int protocol, int field)
    {
        var ex = Assert.Throws<AddressFormatException>(() => MultiAddress.Parse(text));

        Assert.Equal(position, ex.Position);
        Assert.Equal(error, ex.Error);
        Assert.Equal(alternative, ex.AlternativeIndex);
        Assert.Equal(protocol, ex.ProtocolIndex);
        Assert.Equal(field, ex.FieldIndex);
        Assert.Equal(text, ex.Input);
        Assert.Contains($"position {position}", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<FormatException>(ex);
        Assert.False(MultiAddress.TryParse(text, out MultiAddress? none));
        Assert.Null(none);
    }

    [Fact]
    public void AddressFormatException_Message_NamesPartAndReason()
    {
        var ex = Assert.Throws<AddressFormatException>(() => MultiAddress.Parse("net:h:1;ws://h~shs:a b"));

        Assert.Equal(
            "Invalid address at position 20 (alternative 2, protocol 2, field 1, found ' '): a space cannot appear in an address. Input: \"net:h:1;ws://h~shs:a b\"",
            ex.Message);
    }

    [Fact]
    public void Address_TextWithAlternatives_ThrowsUnexpectedSeparatorAtSemicolon()
    {
        var ex = Assert.Throws<AddressFormatException>(() => Address.Parse("net:a:1;ws://x"));

        Assert.Equal(7, ex.Position);
        Assert.Equal(AddressError.UnexpectedSeparator, ex.Error);
    }

    [Theory]
    [InlineData("net:a~shs", 5)]
    [InlineData("net:a;ws", 5)]
    public void ProtocolPart_TextWithSeparators_ThrowsUnexpectedSeparator(string text, int position)
    {
        var ex = Assert.Throws<AddressFormatException>(() => ProtocolPart.Parse(text));

        Assert.Equal(position, ex.Position);
        Assert.Equal(AddressError.UnexpectedSeparator, ex.Error);
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNullAndTryParseReturnsFalse()
    {
        Assert.Throws<ArgumentNullException>(() => MultiAddress.Parse(null!));
        Assert.False(MultiAddress.TryParse(null, out _));
        Assert.False(Address.TryParse(null, out _));
        Assert.False(ProtocolPart.TryParse(null, out _));
    }

    [Fact]
    public void Equality_SameTextDifferentInstances_EqualWithSameHash()
    {
        var a = MultiAddress.Parse("net:h:1~shs:x!:y;ws://h");
        var b = MultiAddress.Parse("net:h:1~shs:x!:y;ws://h");
        var c = MultiAddress.Parse("net:h:1~shs:x:y;ws://h");

        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.True(a != c);
    }
}
