using System.Runtime.InteropServices;

namespace Weft.Crypto.Sodium;

/// <summary>
/// Raw libsodium entry points (source-generated P/Invoke). Callers must go through
/// <see cref="SodiumLibrary.EnsureInitialized"/> first so that the library is resolved and
/// <c>sodium_init</c> has run. The C names are kept so that each line can be checked against <c>sodium.h</c>;
/// <c>unsigned long long</c> is <see cref="ulong"/> and <c>size_t</c> is <see cref="nuint"/>.
/// </summary>
internal static unsafe partial class LibSodium
{
    /// <summary>The logical library name; <see cref="SodiumLibrary"/> maps it to <c>libsodium.so.23</c> etc.</summary>
    internal const string LibraryName = "libsodium";

    [LibraryImport(LibraryName)]
    internal static partial int sodium_init();

    [LibraryImport(LibraryName)]
    internal static partial nint sodium_version_string();

    [LibraryImport(LibraryName)]
    internal static partial void sodium_memzero(byte* pnt, nuint len);

    [LibraryImport(LibraryName)]
    internal static partial void randombytes_buf(byte* buf, nuint size);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_auth(byte* @out, byte* @in, ulong inlen, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_auth_verify(byte* h, byte* @in, ulong inlen, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_scalarmult(byte* q, byte* n, byte* p);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_scalarmult_base(byte* q, byte* n);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_seed_keypair(byte* pk, byte* sk, byte* seed);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_detached(byte* sig, ulong* siglen, byte* m, ulong mlen, byte* sk);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_pk_to_curve25519(byte* curvePk, byte* edPk);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_sk_to_curve25519(byte* curveSk, byte* edSk);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_secretbox_easy(byte* c, byte* m, ulong mlen, byte* n, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_secretbox_open_easy(byte* m, byte* c, ulong clen, byte* n, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_secretbox_detached(byte* c, byte* mac, byte* m, ulong mlen, byte* n, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_secretbox_open_detached(byte* m, byte* c, byte* mac, ulong clen, byte* n, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        byte* c, byte* mac, ulong* maclen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
        byte* m, byte* nsec, byte* c, ulong clen, byte* mac, byte* ad, ulong adlen, byte* npub, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_generichash(byte* @out, nuint outlen, byte* @in, ulong inlen, byte* key, nuint keylen);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_core_hchacha20(byte* @out, byte* @in, byte* k, byte* c);
}
