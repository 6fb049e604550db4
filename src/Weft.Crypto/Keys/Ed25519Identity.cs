using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Weft.Crypto.Keys;

/// <summary>
/// A peer's long-term Ed25519 identity: a 32-byte seed and the key pair derived from it. Used to sign
/// handshakes and, converted to X25519, to agree on handshake secrets.
/// </summary>
/// <remarks>
/// <para>
/// Identity file format (UTF-8 JSON, written with owner-only permissions <c>0600</c> set at creation):
/// </para>
/// <code>
/// {
///   "type": "ed25519",
///   "public": "+y42DK+BGzqvU00EWMKiyj4fITskSm+Drxq1Dt2s3Yw=",
///   "seed": "BASE64 OF THE 32-BYTE SEED"
/// }
/// </code>
/// <para>
/// <c>type</c> and <c>seed</c> are required; <c>public</c> is informational and, when present, must match the
/// key derived from the seed. The secret never appears in <see cref="ToString"/>, exception messages or logs.
/// Secret bytes live in pinned memory and are wiped by <see cref="Dispose"/>. Instances are thread-safe.
/// </para>
/// </remarks>
public sealed class Ed25519Identity : IDisposable
{
    /// <summary>The value of the <c>type</c> field in an identity file.</summary>
    public const string FileType = "ed25519";

    private const int MaxFileSize = 64 * 1024;

    // seed ‖ public key (libsodium's secret key layout) and the X25519 scalar derived from it.
    private readonly byte[] _secretKey;
    private readonly byte[] _x25519SecretKey;
    private volatile bool _disposed;

    private Ed25519Identity(ReadOnlySpan<byte> seed)
    {
        _secretKey = GC.AllocateArray<byte>(Ed25519.SecretKeySize, pinned: true);
        _x25519SecretKey = GC.AllocateArray<byte>(X25519.SecretKeySize, pinned: true);
        Span<byte> publicKey = stackalloc byte[Ed25519.PublicKeySize];
        Ed25519.SeedKeyPair(seed, publicKey, _secretKey);
        Ed25519.SecretKeyToCurve25519(_secretKey, _x25519SecretKey);
        PublicKey = Ed25519PublicKey.FromBytes(publicKey);
    }

    /// <summary>The public half: what peers use to name and authorise this identity.</summary>
    public Ed25519PublicKey PublicKey { get; }

    /// <summary>Creates a new random identity.</summary>
    /// <returns>The identity.</returns>
    public static Ed25519Identity Generate()
    {
        Span<byte> seed = stackalloc byte[Ed25519.SeedSize];
        try
        {
            SecureRandom.Fill(seed);
            return new Ed25519Identity(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Derives the identity of a 32-byte seed (RFC 8032 secret key).</summary>
    /// <param name="seed">The seed; the caller keeps ownership and may wipe it afterwards.</param>
    /// <returns>The identity.</returns>
    public static Ed25519Identity FromSeed(ReadOnlySpan<byte> seed)
    {
        Guard.Length(seed, Ed25519.SeedSize, nameof(seed));
        return new Ed25519Identity(seed);
    }

    /// <summary>
    /// Builds the identity from libsodium's 64-byte secret key (seed ‖ public key), the form that
    /// <c>crypto_sign_keypair</c>, secret-handshake and <c>shs1-test</c> use.
    /// </summary>
    /// <param name="secretKey">The 64-byte secret key.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="CryptoException">The public half does not belong to the seed.</exception>
    public static Ed25519Identity FromSecretKey(ReadOnlySpan<byte> secretKey)
    {
        Guard.Length(secretKey, Ed25519.SecretKeySize, nameof(secretKey));
        var identity = new Ed25519Identity(secretKey[..Ed25519.SeedSize]);
        if (!identity.PublicKey.AsSpan().SequenceEqual(secretKey[Ed25519.SeedSize..]))
        {
            identity.Dispose();
            throw new CryptoException("The 64-byte Ed25519 secret key is inconsistent: its public half does not match its seed.");
        }

        return identity;
    }

    /// <summary>Reads an identity file (format in the remarks of <see cref="Ed25519Identity"/>).</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="CryptoException">
    /// The file is missing, unreadable, malformed, or (on Unix) readable or writable by other users, as
    /// OpenSSH refuses such private keys (the message says which, and how to fix it).
    /// </exception>
    public static Ed25519Identity Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] content;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (!OperatingSystem.IsWindows())
            {
                const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                    | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
                UnixFileMode mode = File.GetUnixFileMode(file.SafeFileHandle);
                if ((mode & others) != 0)
                {
                    throw new CryptoException($"Identity file '{path}' is accessible by other users (mode {Convert.ToString((int)mode, 8)}); a private key must be private: run chmod 600 '{path}'.");
                }
            }

            if (file.Length > MaxFileSize)
            {
                throw new CryptoException($"Identity file '{path}' is too large to be an identity file.");
            }

            content = new byte[file.Length];
            file.ReadExactly(content);
        }
        catch (FileNotFoundException e)
        {
            throw new CryptoException($"Identity file '{path}' does not exist. Create one first (for example with Ed25519Identity.Generate().Save(path)).", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new CryptoException($"Identity file '{path}' does not exist: its directory is missing.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CryptoException($"Identity file '{path}' cannot be read: {e.Message}", e);
        }

        byte[]? seed = null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(content);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String ||
                !type.ValueEquals(FileType))
            {
                throw new CryptoException($"Identity file '{path}' is not a Weft identity file: expected a JSON object with \"type\": \"{FileType}\".");
            }

            if (!root.TryGetProperty("seed", out JsonElement seedElement) || seedElement.ValueKind != JsonValueKind.String ||
                !seedElement.TryGetBytesFromBase64(out seed) || seed.Length != Ed25519.SeedSize)
            {
                throw new CryptoException($"Identity file '{path}' has no valid \"seed\" (32 bytes in base64).");
            }

            var identity = new Ed25519Identity(seed);
            if (root.TryGetProperty("public", out JsonElement publicElement) &&
                (publicElement.ValueKind != JsonValueKind.String ||
                 !Ed25519PublicKey.TryParse(publicElement.GetString(), out Ed25519PublicKey? declared) ||
                 declared != identity.PublicKey))
            {
                identity.Dispose();
                throw new CryptoException($"Identity file '{path}' is inconsistent: its \"public\" key does not match its seed.");
            }

            return identity;
        }
        catch (JsonException e)
        {
            throw new CryptoException($"Identity file '{path}' is not valid JSON.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
            if (seed is not null)
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
    }

    /// <summary>
    /// Writes this identity to <paramref name="path"/> with owner-only permissions (0600 on Unix, set when the file
    /// is created so that it is never readable by others, even briefly).
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="overwrite">Replace an existing file (atomically, through a temporary file in the same folder).</param>
    /// <exception cref="IOException">The file exists and <paramref name="overwrite"/> is false, or writing failed.</exception>
    public void Save(string path, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string target = Path.GetFullPath(path);
        string writePath = overwrite
            ? Path.Combine(Path.GetDirectoryName(target) ?? ".", "." + Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N") + ".tmp")
            : target;

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var file = new FileStream(writePath, options))
            {
                WriteJson(file);
                file.Flush(flushToDisk: true);
            }

            if (overwrite)
            {
                File.Move(writePath, target, overwrite: true);
            }
        }
        catch
        {
            if (overwrite)
            {
                File.Delete(writePath);
            }

            throw;
        }
    }

    /// <summary>Signs <paramref name="message"/> with this identity (Ed25519, detached).</summary>
    /// <param name="message">The data to sign.</param>
    /// <param name="signature">Receives the 64-byte signature.</param>
    public void Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Ed25519.Sign(message, _secretKey, signature);
    }

    /// <summary>
    /// X25519 between this identity's secret (converted from Ed25519) and a peer's X25519 public key: the
    /// long-term half of secret-handshake's key agreement, without exposing the secret.
    /// </summary>
    /// <param name="peerX25519PublicKey">The peer's 32-byte X25519 public key.</param>
    /// <param name="sharedSecret">Receives the 32-byte shared secret.</param>
    /// <returns><see langword="false"/> when the peer's key has small order.</returns>
    public bool TryAgreeX25519(ReadOnlySpan<byte> peerX25519PublicKey, Span<byte> sharedSecret)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return X25519.TryScalarMult(_x25519SecretKey, peerX25519PublicKey, sharedSecret);
    }

    /// <summary>Describes the identity by its public key only.</summary>
    /// <returns><c>Ed25519Identity(PUBLIC_KEY)</c>.</returns>
    public override string ToString() => $"Ed25519Identity({PublicKey})";

    /// <summary>Wipes the secret key material.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_secretKey);
            CryptographicOperations.ZeroMemory(_x25519SecretKey);
        }
    }

    private void WriteJson(Stream stream)
    {
        // The seed goes through UTF-8 spans that are wiped afterwards, never through a managed string.
        Span<byte> seedBase64 = stackalloc byte[44];
        try
        {
            _ = System.Buffers.Text.Base64.EncodeToUtf8(_secretKey.AsSpan(0, Ed25519.SeedSize), seedBase64, out _, out _);
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
            {
                Indented = true,

                // Keep base64 readable ('+' would otherwise be written as \u002B); the file is never embedded in HTML.
                Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            });
            writer.WriteStartObject();
            writer.WriteString("type"u8, FileType);
            writer.WriteString("public"u8, PublicKey.ToString());
            writer.WriteString("seed"u8, seedBase64);
            writer.WriteEndObject();
            writer.Flush();
            stream.Write("\n"u8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seedBase64);
        }
    }
}
