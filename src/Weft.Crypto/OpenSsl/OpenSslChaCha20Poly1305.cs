using System.Runtime.InteropServices;

namespace Weft.Crypto.OpenSsl;

/// <summary>
/// IETF ChaCha20-Poly1305 straight from OpenSSL's libcrypto (the library the in-box
/// <see cref="System.Security.Cryptography.ChaCha20Poly1305"/> uses on Linux), through cipher contexts that are
/// kept and re-keyed instead of created per call. XChaCha20 needs a new subkey for every nonce, so the in-box
/// class costs an object, a SafeHandle and a native context per operation; this costs none of them.
/// </summary>
/// <remarks>
/// Resolved once per process with <see cref="NativeLibrary"/> (<c>libcrypto.so.3</c>, then older sonames). When it is
/// missing, or an entry point is, <see cref="IsAvailable"/> is false and callers use the in-box class instead.
/// A context belongs to one operation at a time: <see cref="ContextCache"/> hands them out.
/// </remarks>
internal static unsafe class OpenSslChaCha20Poly1305
{
    private const int CtrlAeadGetTag = 0x10;
    private const int CtrlAeadSetTag = 0x11;

    private static readonly string[] s_candidates = ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so", "libcrypto.3.dylib", "libcrypto.dylib"];

    private static readonly delegate* unmanaged<nint> s_ctxNew;
    private static readonly delegate* unmanaged<nint, void> s_ctxFree;
    private static readonly delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int> s_cipherInit;
    private static readonly delegate* unmanaged<nint, byte*, int*, byte*, int, int> s_cipherUpdate;
    private static readonly delegate* unmanaged<nint, byte*, int*, int> s_cipherFinal;
    private static readonly delegate* unmanaged<nint, int, int, void*, int> s_ctrl;
    private static readonly nint s_cipher;

#pragma warning disable CA1810 // The loader must run once, in order; a static constructor says so plainly.
    static OpenSslChaCha20Poly1305()
#pragma warning restore CA1810
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        nint library = 0;
        foreach (string name in s_candidates)
        {
            if (NativeLibrary.TryLoad(name, out library))
            {
                break;
            }
        }

        if (library == 0
            || !NativeLibrary.TryGetExport(library, "EVP_CIPHER_CTX_new", out nint ctxNew)
            || !NativeLibrary.TryGetExport(library, "EVP_CIPHER_CTX_free", out nint ctxFree)
            || !NativeLibrary.TryGetExport(library, "EVP_CipherInit_ex", out nint cipherInit)
            || !NativeLibrary.TryGetExport(library, "EVP_CipherUpdate", out nint cipherUpdate)
            || !NativeLibrary.TryGetExport(library, "EVP_CipherFinal_ex", out nint cipherFinal)
            || !NativeLibrary.TryGetExport(library, "EVP_CIPHER_CTX_ctrl", out nint ctrl)
            || !NativeLibrary.TryGetExport(library, "EVP_chacha20_poly1305", out nint getCipher))
        {
            return;
        }

        s_ctxNew = (delegate* unmanaged<nint>)ctxNew;
        s_ctxFree = (delegate* unmanaged<nint, void>)ctxFree;
        s_cipherInit = (delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int>)cipherInit;
        s_cipherUpdate = (delegate* unmanaged<nint, byte*, int*, byte*, int, int>)cipherUpdate;
        s_cipherFinal = (delegate* unmanaged<nint, byte*, int*, int>)cipherFinal;
        s_ctrl = (delegate* unmanaged<nint, int, int, void*, int>)ctrl;
        s_cipher = ((delegate* unmanaged<nint>)getCipher)();
        IsAvailable = s_cipher != 0 && SelfTest();
    }

    /// <summary>Whether libcrypto was found and passed the self-test.</summary>
    public static bool IsAvailable { get; }

    /// <summary>A fresh context bound to ChaCha20-Poly1305 (no key yet), or 0 when OpenSSL fails.</summary>
    public static nint CreateContext()
    {
        nint ctx = s_ctxNew();
        if (ctx != 0 && s_cipherInit(ctx, s_cipher, 0, null, null, 1) != 1)
        {
            s_ctxFree(ctx);
            return 0;
        }

        return ctx;
    }

    public static void FreeContext(nint ctx)
    {
        if (ctx != 0)
        {
            s_ctxFree(ctx);
        }
    }

    /// <summary>Seals with a 32-byte key and 12-byte nonce; false only when OpenSSL reports a failure.</summary>
    public static bool Encrypt(nint ctx, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* p = plaintext)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* a = associatedData)
        {
            int outLength;
            return s_cipherInit(ctx, 0, 0, k, n, 1) == 1
                && (associatedData.IsEmpty || s_cipherUpdate(ctx, null, &outLength, a, associatedData.Length) == 1)
                && (plaintext.IsEmpty || s_cipherUpdate(ctx, c, &outLength, p, plaintext.Length) == 1)
                && s_cipherFinal(ctx, c + plaintext.Length, &outLength) == 1
                && s_ctrl(ctx, CtrlAeadGetTag, 16, t) == 1;
        }
    }

    /// <summary>Opens with a 32-byte key and 12-byte nonce; false when the tag does not verify (the plaintext is then cleared).</summary>
    public static bool Decrypt(nint ctx, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        bool ok;
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* p = plaintext)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* a = associatedData)
        {
            int outLength;
            ok = s_cipherInit(ctx, 0, 0, k, n, 0) == 1
                && s_ctrl(ctx, CtrlAeadSetTag, 16, t) == 1
                && (associatedData.IsEmpty || s_cipherUpdate(ctx, null, &outLength, a, associatedData.Length) == 1)
                && (ciphertext.IsEmpty || s_cipherUpdate(ctx, p, &outLength, c, ciphertext.Length) == 1)
                && s_cipherFinal(ctx, p + ciphertext.Length, &outLength) == 1;
        }

        if (!ok)
        {
            plaintext.Clear();
        }

        return ok;
    }

    /// <summary>
    /// Opens a ciphertext held in several pieces straight into one plaintext span (no gather copy): one cipher
    /// update per piece. False when the tag does not verify (the plaintext is then cleared).
    /// </summary>
    public static bool Decrypt(nint ctx, ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, in System.Buffers.ReadOnlySequence<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        bool ok;
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* p = plaintext)
        fixed (byte* t = tag)
        fixed (byte* a = associatedData)
        {
            int outLength;
            ok = s_cipherInit(ctx, 0, 0, k, n, 0) == 1
                && s_ctrl(ctx, CtrlAeadSetTag, 16, t) == 1
                && (associatedData.IsEmpty || s_cipherUpdate(ctx, null, &outLength, a, associatedData.Length) == 1);
            int written = 0;
            foreach (ReadOnlyMemory<byte> piece in ciphertext)
            {
                if (!ok)
                {
                    break;
                }

                if (piece.IsEmpty)
                {
                    continue;
                }

                fixed (byte* c = piece.Span)
                {
                    ok = s_cipherUpdate(ctx, p + written, &outLength, c, piece.Length) == 1 && outLength == piece.Length;
                }

                written += piece.Length;
            }

            ok = ok && s_cipherFinal(ctx, p + written, &outLength) == 1;
        }

        if (!ok)
        {
            plaintext.Clear();
        }

        return ok;
    }

    /// <summary>RFC 8439 §2.8.2's test vector, sealed and opened, and a forgery refused, before the path is trusted.</summary>
    private static bool SelfTest()
    {
        nint ctx = CreateContext();
        if (ctx == 0)
        {
            return false;
        }

        try
        {
            byte[] key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
            byte[] nonce = Convert.FromHexString("070000004041424344454647");
            byte[] aad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
            byte[] plain = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."u8.ToArray();
            byte[] expectedTag = Convert.FromHexString("1ae10b594f09e26a7e902ecbd0600691");
            byte[] cipher = new byte[plain.Length];
            byte[] tag = new byte[16];
            byte[] opened = new byte[plain.Length];
            if (!Encrypt(ctx, key, nonce, plain, cipher, tag, aad) || !tag.AsSpan().SequenceEqual(expectedTag)
                || cipher[0] != 0xd3 || cipher[^1] != 0x16)
            {
                return false;
            }

            if (!Decrypt(ctx, key, nonce, cipher, tag, opened, aad) || !opened.AsSpan().SequenceEqual(plain))
            {
                return false;
            }

            tag[0] ^= 1;
            return !Decrypt(ctx, key, nonce, cipher, tag, opened, aad);
        }
        finally
        {
            FreeContext(ctx);
        }
    }

    /// <summary>
    /// Up to two idle contexts for one key holder, handed out without locks: the session's reader and writer each
    /// find one in the steady state; a third concurrent caller gets a new context, freed after use.
    /// </summary>
    internal struct ContextCache
    {
        private nint _first;
        private nint _second;

        public nint Rent()
        {
            nint ctx = Interlocked.Exchange(ref _first, 0);
            if (ctx == 0)
            {
                ctx = Interlocked.Exchange(ref _second, 0);
            }

            return ctx != 0 ? ctx : CreateContext();
        }

        public void Return(nint ctx)
        {
            if (ctx != 0
                && Interlocked.CompareExchange(ref _first, ctx, 0) != 0
                && Interlocked.CompareExchange(ref _second, ctx, 0) != 0)
            {
                FreeContext(ctx);
            }
        }

        public void Clear()
        {
            FreeContext(Interlocked.Exchange(ref _first, 0));
            FreeContext(Interlocked.Exchange(ref _second, 0));
        }
    }
}
