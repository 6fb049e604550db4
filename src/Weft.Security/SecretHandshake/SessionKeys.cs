using System.Security.Cryptography;
using Weft.Crypto.Keys;

namespace Weft.Security;

/// <summary>
/// The outcome of a secret-handshake: box-stream keys and starting nonces for each direction, and the peer's
/// verified identity. Secret arrays are pinned and wiped by <see cref="Dispose"/>.
/// </summary>
internal sealed class SessionKeys : IDisposable
{
    /// <summary>Size of <see cref="WriteOutcome"/>'s output: key 32 ‖ nonce 24 ‖ key 32 ‖ nonce 24.</summary>
    internal const int OutcomeSize = 112;

    internal SessionKeys(Ed25519PublicKey remotePublicKey)
    {
        RemotePublicKey = remotePublicKey;
    }

    internal Ed25519PublicKey RemotePublicKey { get; }

    internal byte[] EncryptKey { get; } = GC.AllocateArray<byte>(32, pinned: true);

    internal byte[] EncryptNonce { get; } = GC.AllocateArray<byte>(24, pinned: true);

    internal byte[] DecryptKey { get; } = GC.AllocateArray<byte>(32, pinned: true);

    internal byte[] DecryptNonce { get; } = GC.AllocateArray<byte>(24, pinned: true);

    /// <summary>Writes the 112-byte outcome in the order shs1-test expects.</summary>
    internal void WriteOutcome(Span<byte> destination)
    {
        EncryptKey.CopyTo(destination);
        EncryptNonce.CopyTo(destination[32..]);
        DecryptKey.CopyTo(destination[56..]);
        DecryptNonce.CopyTo(destination[88..]);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(EncryptKey);
        CryptographicOperations.ZeroMemory(EncryptNonce);
        CryptographicOperations.ZeroMemory(DecryptKey);
        CryptographicOperations.ZeroMemory(DecryptNonce);
    }
}
