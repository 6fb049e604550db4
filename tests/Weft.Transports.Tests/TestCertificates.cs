using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Transports.Tests;

/// <summary>Self-signed certificates made at test time, written to a temporary folder.</summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory, X509Certificate2 certificate)
    {
        Directory = directory;
        Certificate = certificate;
        PfxPath = Path.Combine(directory, "server.pfx");
        PemPath = Path.Combine(directory, "server.pem");
        KeyPath = Path.Combine(directory, "server.key");
        CaPath = Path.Combine(directory, "ca.pem");
        File.WriteAllBytes(PfxPath, certificate.Export(X509ContentType.Pkcs12, Password));
        File.WriteAllText(PemPath, certificate.ExportCertificatePem());
        using (RSA key = certificate.GetRSAPrivateKey()!)
        {
            File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(CaPath, certificate.ExportCertificatePem());
    }

    public const string Password = "test-password";

    public string Directory { get; }

    public X509Certificate2 Certificate { get; }

    public string PfxPath { get; }

    public string PemPath { get; }

    public string KeyPath { get; }

    /// <summary>The self-signed certificate itself, as a CA file (it is its own root).</summary>
    public string CaPath { get; }

    public string Sha256 => Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>A self-signed certificate for localhost, 127.0.0.1 and ::1.</summary>
    public static TestCertificates Create(string commonName = "localhost")
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string directory = Path.Combine(Path.GetTempPath(), "weft-certs-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        return new TestCertificates(directory, certificate);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
