namespace Weft.Security;

/// <summary>A Noise static key pair whose secret stays hidden: its public half and Diffie-Hellman with it.</summary>
internal interface INoiseStaticKey
{
    /// <summary>The 32-byte X25519 public key.</summary>
    ReadOnlySpan<byte> PublicKey { get; }

    /// <summary>X25519 of the secret half with <paramref name="peerPublicKey"/>.</summary>
    /// <returns><see langword="false"/> when the peer's key has small order.</returns>
    bool TryAgree(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret);
}
