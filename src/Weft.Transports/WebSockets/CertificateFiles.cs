using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Transports.WebSockets;

/// <summary>Loads certificates for wss and builds the client's trust check.</summary>
internal static class CertificateFiles
{
    /// <summary>The server certificate from the options: an instance, a PKCS#12 file or a PEM file (+ key).</summary>
    public static X509Certificate2 LoadServerCertificate(WebSocketTransportOptions options)
    {
        if (options.ServerCertificate is not null)
        {
            return options.ServerCertificate;
        }

        string path = options.ServerCertificatePath
            ?? throw new TransportException(TransportError.ListenFailed, "wss needs a server certificate: set WebSocketTransportOptions.ServerCertificatePath (PFX or PEM) or ServerCertificate.");
        try
        {
            if (IsPem(path))
            {
                string keyPath = options.ServerKeyPath ?? path;
                X509Certificate2 pem = options.ServerCertificatePassword is null
                    ? X509Certificate2.CreateFromPemFile(path, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, options.ServerCertificatePassword, keyPath);
                if (!OperatingSystem.IsWindows())
                {
                    return pem;
                }

                // SChannel needs a persisted key; a PKCS#12 round trip provides one.
                using (pem)
                {
                    return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                }
            }

            return X509CertificateLoader.LoadPkcs12FromFile(path, options.ServerCertificatePassword);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new TransportException(TransportError.ListenFailed, $"Cannot load the wss certificate '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>The client's certificate check, or null to use the system's default validation.</summary>
    public static RemoteCertificateValidationCallback? CreateValidation(WebSocketTransportOptions options)
    {
        HashSet<string> hashes = new(options.TrustedCertificateHashes.Select(Normalize), StringComparer.Ordinal);
        X509Certificate2Collection? roots = options.TrustedCaPath is null ? null : LoadCaFile(options.TrustedCaPath);
        if (hashes.Count == 0 && roots is null)
        {
            return null;
        }

        return (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            if (certificate is null)
            {
                return false;
            }

            if (hashes.Count != 0
                && (hashes.Contains(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)))
                    || hashes.Contains(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA1)))))
            {
                // A pinned certificate is trusted for what it is, whatever its chain or names.
                return true;
            }

            if (roots is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(leaf);
        };
    }

    private static X509Certificate2Collection LoadCaFile(string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            if (IsPem(path))
            {
                collection.ImportFromPemFile(path);
            }
            else
            {
                collection.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new TransportException(TransportError.InvalidAddress, $"Cannot load the trusted CA file '{path}': {ex.Message}", ex);
        }

        if (collection.Count == 0)
        {
            throw new TransportException(TransportError.InvalidAddress, $"The trusted CA file '{path}' holds no certificate.");
        }

        return collection;
    }

    private static bool IsPem(string path)
    {
        using var reader = new StreamReader(path);
        char[] head = new char[4096];
        int read = reader.ReadBlock(head, 0, head.Length);
        return head.AsSpan(0, read).IndexOf("-----BEGIN ".AsSpan()) >= 0;
    }

    private static string Normalize(string hash) =>
        hash.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
}
