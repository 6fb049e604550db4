using System.Security.Cryptography.X509Certificates;

namespace Weft.Transports.WebSockets;

/// <summary>Options for the <c>ws</c> and <c>wss</c> transports. Validated when a listener starts or a dial begins.</summary>
public sealed class WebSocketTransportOptions
{
    /// <summary>
    /// wss server: certificate file, PKCS#12 (<c>.pfx</c>/<c>.p12</c>) or PEM (detected by content). A PEM file
    /// may hold the private key too, or name it with <see cref="ServerKeyPath"/>. Default: null.
    /// </summary>
    public string? ServerCertificatePath { get; init; }

    /// <summary>wss server: PEM private key file when it is not in <see cref="ServerCertificatePath"/>. Default: null.</summary>
    public string? ServerKeyPath { get; init; }

    /// <summary>wss server: password of the PKCS#12 file or of an encrypted PEM key. Default: null.</summary>
    public string? ServerCertificatePassword { get; init; }

    /// <summary>wss server: a certificate with its private key, instead of a file. Default: null.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>
    /// wss client: certificates to trust whatever their chain and name, by SHA-256 (64 hex digits) or SHA-1
    /// (40 hex digits, the classic "thumbprint") of the DER certificate; case and ':' separators are ignored.
    /// Default: none (the system trust store decides).
    /// </summary>
    public IReadOnlyList<string> TrustedCertificateHashes { get; init; } = [];

    /// <summary>
    /// wss client: a PEM or DER file with CA certificates to trust as roots (instead of the system store when
    /// validation fails against it); the host name must still match. Default: null.
    /// </summary>
    public string? TrustedCaPath { get; init; }

    /// <summary>Interval of WebSocket keep-alive pings, both sides. Default: 30 seconds.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long disposing a stream waits for the peer to answer the Close frame. Default: 5 seconds.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Server: accepted WebSockets that may wait for <c>AcceptAsync</c>; more wait in their HTTP handler. Default: 64.</summary>
    public int AcceptBacklog { get; init; } = 64;

    /// <summary>Server: how long disposing a listener lets accepted connections finish before Kestrel aborts them. Default: 5 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepAliveInterval, TimeSpan.Zero, nameof(KeepAliveInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(AcceptBacklog, 1, nameof(AcceptBacklog));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShutdownTimeout, TimeSpan.Zero, nameof(ShutdownTimeout));
    }
}
