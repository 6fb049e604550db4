namespace Weft.Mux;

/// <summary>The wire format a <see cref="MuxSession"/> speaks; see <see cref="MuxDialect"/>.</summary>
public enum MuxDialectKind
{
    /// <summary>yamux (hashicorp/yamux spec): plain 12-byte headers, odd client ids. The default.</summary>
    Yamux,

    /// <summary>gomux (github.com/Acebond/gomux v1.0.0): 36-byte headers, every frame sealed with XChaCha20-Poly1305 under a pre-shared key.</summary>
    Gomux,
}
