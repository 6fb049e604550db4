namespace Weft.Security;

/// <summary>What a decoded box-stream header turned out to be.</summary>
internal enum HeaderStatus
{
    /// <summary>A data chunk follows.</summary>
    Chunk,

    /// <summary>The authenticated all-zero header: the sender finished writing.</summary>
    Goodbye,

    /// <summary>The header failed authentication.</summary>
    Tampered,

    /// <summary>The header authenticated but holds a length outside 1..4096 (or a zero length with a MAC).</summary>
    Invalid,
}
