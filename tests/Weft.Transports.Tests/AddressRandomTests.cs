using System.Text;
using Weft.Testing;

namespace Weft.Transports.Tests;

/// <summary>Seeded random round trips and mutation loops over the grammar (reproducible: the seed is in the failure message).</summary>
public sealed class AddressRandomTests
{
    private const string Specials = "!:;~";
    private const string NameFirst = "abcdefghijklmnopqrstuvwxyz";
    private const string NameRest = "abcdefghijklmnopqrstuvwxyz0123456789-";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MultiAddress_RandomValidFields_RoundTripsThroughText(int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < 3000; i++)
        {
            MultiAddress original = RandomMultiAddress(random);
            string text = original.ToString();

            MultiAddress parsed = MultiAddress.Parse(text);

            Assert.True(original == parsed, $"seed {seed} iteration {i}: '{text}' did not round-trip");
            Assert.Equal(text, parsed.ToString());
            foreach (Address alternative in original.Alternatives)
            {
                Assert.Equal(alternative, Address.Parse(alternative.ToString()));
                foreach (ProtocolPart part in alternative.Parts)
                {
                    Assert.Equal(part, ProtocolPart.Parse(part.ToString()));
                }
            }
        }
    }

    [Fact]
    public async Task MultiAddress_RandomGarbageAndMutations_ParseOrThrowAddressFormatExceptionOnly()
    {
        CancellationToken ct = TestTimeout.Token();
        await Task.Run(
            () =>
            {
                var random = new Random(20240601);
                for (int i = 0; i < 40000; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    string text = i % 4 == 0 ? RandomGarbage(random) : Mutate(random, RandomMultiAddress(random).ToString());
                    CheckParseOutcome(text, i);
                }
            },
            ct).WaitAsync(ct);
    }

    [Fact]
    public async Task MultiAddress_HugeInput_ParsesInLinearTime()
    {
        CancellationToken ct = TestTimeout.Token(10);
        string huge = string.Join(";", Enumerable.Repeat("net:" + new string('!', 2000).Replace("!!", "!:", StringComparison.Ordinal) + ":1~shs:" + new string('x', 1000), 200));

        MultiAddress parsed = await Task.Run(() => MultiAddress.Parse(huge), ct).WaitAsync(ct);

        Assert.Equal(200, parsed.Alternatives.Count);
        Assert.Equal(huge, parsed.ToString());
    }

    private static void CheckParseOutcome(string text, int iteration)
    {
        bool parsed;
        try
        {
            MultiAddress address = MultiAddress.Parse(text);
            parsed = true;
            Assert.Equal(address, MultiAddress.Parse(address.ToString()));
        }
        catch (AddressFormatException ex)
        {
            parsed = false;
            Assert.InRange(ex.Position, 0, text.Length);
            Assert.Equal(text, ex.Input);
            Assert.Contains($"position {ex.Position}", ex.Message, StringComparison.Ordinal);
        }
        catch (Exception ex)
        {
            Assert.Fail($"iteration {iteration}: '{Escape(text)}' threw {ex.GetType().Name}: {ex.Message}");
            return;
        }

        Assert.Equal(parsed, MultiAddress.TryParse(text, out _));
    }

    internal static MultiAddress RandomMultiAddress(Random random)
    {
        int alternatives = random.Next(1, 4);
        var list = new List<Address>();
        for (int a = 0; a < alternatives; a++)
        {
            int parts = random.Next(1, 5);
            var protocolParts = new List<ProtocolPart>();
            for (int p = 0; p < parts; p++)
            {
                int fields = random.Next(0, 5);
                protocolParts.Add(new ProtocolPart(RandomName(random), Enumerable.Range(0, fields).Select(_ => RandomField(random)).ToArray()));
            }

            list.Add(new Address(protocolParts));
        }

        return new MultiAddress(list);
    }

    private static string RandomName(Random random)
    {
        var builder = new StringBuilder();
        builder.Append(NameFirst[random.Next(NameFirst.Length)]);
        int rest = random.Next(1, 7);
        for (int i = 0; i < rest; i++)
        {
            builder.Append(NameRest[random.Next(NameRest.Length)]);
        }

        return builder.ToString();
    }

    private static string RandomField(Random random)
    {
        int length = random.Next(0, 9);
        var builder = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            builder.Append(random.Next(3) == 0 ? Specials[random.Next(Specials.Length)] : (char)random.Next('!', '~' + 1));
        }

        return builder.ToString();
    }

    private static string RandomGarbage(Random random)
    {
        const string Interesting = "!:;~ -aZ09/\t\né\u0000\u007f\uffff";
        int length = random.Next(0, 24);
        var builder = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            builder.Append(random.Next(2) == 0 ? Interesting[random.Next(Interesting.Length)] : (char)random.Next(0, 0x250));
        }

        return builder.ToString();
    }

    private static string Mutate(Random random, string text)
    {
        const string Interesting = "!:;~ aZ9-\t\u00e9\u0000";
        var builder = new StringBuilder(text);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            int at = builder.Length == 0 ? 0 : random.Next(builder.Length);
            switch (random.Next(4))
            {
                case 0:
                    builder.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 1 when builder.Length > 0:
                    builder.Remove(at, 1);
                    break;
                case 2 when builder.Length > 0:
                    builder[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                default:
                    int length = Math.Min(random.Next(1, 6), builder.Length - at);
                    builder.Insert(at, builder.ToString(at, length));
                    break;
            }
        }

        return builder.ToString();
    }

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));
}
