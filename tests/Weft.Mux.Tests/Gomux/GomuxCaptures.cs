using System.Text.Json;

namespace Weft.Mux.Tests.Gomux;

/// <summary>
/// The real gomux wire captures (shared/interop/gomux, beside the repository). Missing files fail the test
/// with a clear message: these tests prove interop and must never be skipped silently.
/// </summary>
internal static class GomuxCaptures
{
    public const string Psk = "weft-golden-psk";
    public const string KeyHex = "e5840dec5c1b44a9edb005f3fc8b7bc53ba8804cfb124c9aa0e5709afae3f9c9";
    public const string WrongPsk = "other";
    public const string WrongKeyHex = "96396e0fda42892aedf84cc08c5d8fd4d9f2681f26926fb30f08127f269141e5";

    private static readonly Lazy<string> s_directory = new(Locate);
    private static readonly Lazy<JsonDocument> s_frames = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, "frames.json"))));
    private static readonly Lazy<JsonDocument> s_events = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, "events.json"))));

    public static string Directory => s_directory.Value;

    public static JsonElement Events => s_events.Value.RootElement;

    /// <summary>Capture name in frames.json → its name in events.json.</summary>
    public static string EventsName(string capture) => capture == "wrong_psk" ? "wrong_psk_capture" : capture;

    public static string FileName(string capture, string dir) => Events.GetProperty(EventsName(capture)).GetProperty("files").GetProperty(dir).GetString()!;

    public static byte[] Bytes(string capture, string dir) => File.ReadAllBytes(Path.Combine(Directory, FileName(capture, dir)));

    public static IReadOnlyList<CapturedFrame> Frames(string capture, string dir) =>
        [.. s_frames.Value.RootElement.GetProperty(capture).GetProperty(dir).EnumerateArray().Select(CapturedFrame.From)];

    /// <summary>The relay's TCP read sizes for one direction, in arrival order.</summary>
    public static int[] WireChunks(string capture, string dir)
    {
        var chunks = Events.GetProperty(EventsName(capture)).GetProperty("wire_chunks").EnumerateArray()
            .Where(c => c.GetProperty("dir").GetString() == dir)
            .ToList();
        long expectedOffset = 0;
        foreach (JsonElement chunk in chunks)
        {
            Assert.Equal(expectedOffset, chunk.GetProperty("offset").GetInt64());
            expectedOffset += chunk.GetProperty("len").GetInt64();
        }

        return [.. chunks.Select(c => c.GetProperty("len").GetInt32())];
    }

    public static byte[] Key(string psk) => Convert.FromHexString(psk == Psk ? KeyHex : WrongKeyHex);

    private static string Locate()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Weft.slnx")))
            {
                string captures = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "interop", "gomux"));
                Assert.True(
                    System.IO.Directory.Exists(captures) && File.Exists(Path.Combine(captures, "frames.json")),
                    $"gomux captures not found at {captures} (expected ../shared/interop/gomux next to the folder holding Weft.slnx); these interop tests never skip");
                return captures;
            }
        }

        Assert.Fail($"no folder containing Weft.slnx above {AppContext.BaseDirectory}; cannot locate ../shared/interop/gomux");
        return "";
    }
}

/// <summary>One frame as the independent Python decoder saw it (frames.json).</summary>
internal sealed record CapturedFrame(long Offset, uint Id, uint Length, uint Flags, string Type, string Nonce, int WireLength, string Auth, string? Sha256, string? Text)
{
    public static CapturedFrame From(JsonElement e) => new(
        e.GetProperty("offset").GetInt64(),
        e.GetProperty("id").GetUInt32(),
        e.GetProperty("length").GetUInt32(),
        e.GetProperty("flags").GetUInt32(),
        e.GetProperty("type").GetString()!,
        e.GetProperty("nonce").GetString()!,
        e.GetProperty("wire_len").GetInt32(),
        e.GetProperty("auth").GetString()!,
        e.TryGetProperty("sha256", out JsonElement sha) ? sha.GetString() : null,
        e.TryGetProperty("text", out JsonElement text) ? text.GetString() : null);
}
