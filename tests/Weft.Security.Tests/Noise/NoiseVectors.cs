namespace Weft.Security.Tests.Noise;

/// <summary>
/// Golden bytes for Weft's noise channel, produced by the independent Go peer (interop/go-noise, on flynn/noise) with:
/// <code>
/// go-noise-peer vector --init-seed 000102…1f --resp-seed 202122…3f --init-ephemeral 404142…5f \
///     --resp-ephemeral 606162…7f [--network-key 94ee05…2cc2] --payloads 68656c6c6f,776f726c6421,,
/// </code>
/// (seeds and ephemeral secrets are the bytes 0..31, 32..63, 64..95 and 96..127). Weft.Interop.Tests re-runs the Go
/// peer and checks it still prints exactly these values.
/// </summary>
internal static class NoiseVectors
{
    public static byte[] InitiatorSeed { get; } = Bytes(0);

    public static byte[] ResponderSeed { get; } = Bytes(32);

    public static byte[] InitiatorEphemeral { get; } = Bytes(64);

    public static byte[] ResponderEphemeral { get; } = Bytes(96);

    /// <summary>The network key of the second vector: SHA-256("TEST").</summary>
    public const string NetworkKey = "94ee059335e587e501cc4bf90613e0814f00a7b08bc7c648fd865a2af6a22cc2";

    public const string InitiatorPublic = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=";

    public const string ResponderPublic = "Kay64UG8yvCyLhqU000LxzYeUm0L/hLIl5S8kyKWbdc=";

    /// <summary>The X25519 keys the Go peer derives from the Ed25519 keys (its own Montgomery conversion).</summary>
    public const string InitiatorX25519Public = "4701d08488451f545a409fb58ae3e58581ca40ac3f7f114698cd71deac73ca01";

    public const string ResponderX25519Public = "5730800ab340fcb18ce5111eda9d705f91388b41e4544cbd103ba5942db2233e";

    public const string Msg1Frame =
        "008079a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51ababf6c0a0f39de09b90f8797cd537125f8575f1379dfcf2a77f58aa9428802c81676d5a3b05f1eb2adbff9cb7b4cf5f5cf4a87909046043432abd011854cb28c9258656358aabdf20f98b05f043cf92d82dc460a84355d904d06ea889f428733";

    public const string Msg2Frame = "0030675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f40aacf002c5ab5dcb7d8cb09cbf486c1";

    public const string HandshakeHash = "9d5cf1c27fb1e914c7529e577eaddc54a375eb0db7b2a76420d66f09b2ebf5dd";

    /// <summary>"hello" initiator → responder.</summary>
    public const string HelloFrame = "00154e332ea6a81f72d9c8de724d6368945b1d27692707";

    /// <summary>"world!" responder → initiator.</summary>
    public const string WorldFrame = "00161a5faee9b55714b3df9efdcaba8e42cfe5cdcc8eb960";

    /// <summary>The initiator's close (its second message).</summary>
    public const string InitiatorCloseFrame = "0010b8aece5dea822c040f1c1f55d7c5f77a";

    /// <summary>The responder's close (its second message).</summary>
    public const string ResponderCloseFrame = "00105541dd984a463cdb9f86ee983e1f96dc";

    /// <summary>msg1 with <see cref="NetworkKey"/> in the prologue.</summary>
    public const string Msg1FrameWithNetworkKey =
        "008079a631eede1bf9c98f12032cdeadd0e7a079398fc786b88cc846ec89af85a51ababf6c0a0f39de09b90f8797cd537125f8575f1379dfcf2a77f58aa9428802c8b3d6ae6fb1d18b6fca1df24899fb2d72cf4a87909046043432abd011854cb28c9258656358aabdf20f98b05f043cf92d71ac951f5b9beeb4f09a0c23ad17f227";

    public const string Msg2FrameWithNetworkKey = "0030675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f206f8c81c58c5b6c3c622f34a3f570b4";

    public const string HandshakeHashWithNetworkKey = "f53d554170a7b912783c4e3a984fa180caa4266cb6538e8d8b1c8e43b13494c5";

    private static byte[] Bytes(int first) => [.. Enumerable.Range(first, 32).Select(i => (byte)i)];
}
