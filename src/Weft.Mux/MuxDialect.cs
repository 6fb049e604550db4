using Weft.Mux.Protocol;

namespace Weft.Mux;

/// <summary>
/// The wire format of a session: <see cref="Yamux"/> (the default) or <see cref="Gomux(string)"/> with its
/// pre-shared key. Both ends of a connection must use the same dialect (and, for gomux, the same key); a
/// session that receives the other dialect's frames ends with <see cref="MuxError.ProtocolError"/> and a
/// message that names the likely cause. Set it with <see cref="MuxOptions.Dialect"/>.
/// </summary>
/// <remarks>
/// A gomux dialect holds the derived 32-byte key (never the pre-shared key string) and never prints it:
/// <see cref="ToString"/> gives only the dialect's name. Instances are immutable and may be shared by any
/// number of sessions. gomux has no replay or reordering protection (docs/protocol.md, "gomux dialect").
/// </remarks>
public sealed class MuxDialect
{
    private readonly byte[]? _gomuxKey;

    private MuxDialect(MuxDialectKind kind, byte[]? gomuxKey)
    {
        Kind = kind;
        _gomuxKey = gomuxKey;
    }

    /// <summary>yamux: the default dialect, interoperable with hashicorp/yamux and the JS yamux peers.</summary>
    public static MuxDialect Yamux { get; } = new(MuxDialectKind.Yamux, null);

    /// <summary>Which dialect this is.</summary>
    public MuxDialectKind Kind { get; }

    /// <summary>The dialect's lower-case name as used in configuration: <c>yamux</c> or <c>gomux</c>.</summary>
    public string Name => Kind == MuxDialectKind.Gomux ? "gomux" : "yamux";

    /// <summary>The derived gomux key, or null for yamux. Never logged.</summary>
    internal ReadOnlySpan<byte> GomuxKey => _gomuxKey;

    /// <summary>
    /// gomux with a pre-shared key string, exactly as gomux's <c>Client(conn, psk)</c>/<c>Server(conn, psk)</c>
    /// take it: the key is BLAKE2b-256 of its UTF-8 bytes.
    /// </summary>
    /// <param name="preSharedKey">The pre-shared key; must not be empty.</param>
    /// <returns>The dialect.</returns>
    /// <exception cref="ArgumentException">The key is empty.</exception>
    public static MuxDialect Gomux(string preSharedKey)
    {
        ArgumentNullException.ThrowIfNull(preSharedKey);
        if (preSharedKey.Length == 0)
        {
            throw new ArgumentException("The gomux pre-shared key is empty; give both peers the same non-empty key.", nameof(preSharedKey));
        }

        byte[] key = GC.AllocateArray<byte>(GomuxConstants.KeySize, pinned: true);
        GomuxFrameCodec.DeriveKey(preSharedKey, key);
        return new MuxDialect(MuxDialectKind.Gomux, key);
    }

    /// <summary>gomux with the raw 32-byte key (what gomux derives from its pre-shared key string).</summary>
    /// <param name="key">Exactly 32 bytes (copied).</param>
    /// <returns>The dialect.</returns>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public static MuxDialect Gomux(ReadOnlySpan<byte> key)
    {
        if (key.Length != GomuxConstants.KeySize)
        {
            throw new ArgumentException($"A gomux key is {GomuxConstants.KeySize} bytes; this one has {key.Length}.", nameof(key));
        }

        byte[] copy = GC.AllocateArray<byte>(GomuxConstants.KeySize, pinned: true);
        key.CopyTo(copy);
        return new MuxDialect(MuxDialectKind.Gomux, copy);
    }

    /// <summary>Parses a dialect name from configuration (<c>yamux</c> or <c>gomux</c>, case-insensitive).</summary>
    /// <param name="name">The name.</param>
    /// <param name="preSharedKey">The pre-shared key; required for gomux, must be null for yamux.</param>
    /// <returns>The dialect.</returns>
    /// <exception cref="ArgumentException">Unknown name, a gomux dialect without a key, or a yamux dialect with one.</exception>
    public static MuxDialect Parse(string name, string? preSharedKey = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Equals("yamux", StringComparison.OrdinalIgnoreCase))
        {
            if (preSharedKey is not null)
            {
                throw new ArgumentException("The yamux dialect takes no pre-shared key; remove it, or choose the gomux dialect.", nameof(preSharedKey));
            }

            return Yamux;
        }

        if (name.Equals("gomux", StringComparison.OrdinalIgnoreCase))
        {
            return preSharedKey is null
                ? throw new ArgumentException("The gomux dialect needs a pre-shared key (the same one on both peers).", nameof(preSharedKey))
                : Gomux(preSharedKey);
        }

        throw new ArgumentException($"Unknown mux dialect '{name}'; use 'yamux' (the default) or 'gomux'.", nameof(name));
    }

    /// <summary>The dialect's name; never the key.</summary>
    /// <returns><see cref="Name"/>.</returns>
    public override string ToString() => Name;
}
