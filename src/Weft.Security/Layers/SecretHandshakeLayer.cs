using System.Security.Cryptography;
using Weft.Crypto.Keys;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Security.Layers;

/// <summary>
/// The <c>shs</c> address layer: secret-handshake v1 and box-stream (multiserver's <c>shs:PUBKEY[:SEED]</c>).
/// After it, the connection's stream is a <see cref="BoxStream"/>, <see cref="TransportConnection.Authentication"/> is
/// <see cref="ConnectionAuthentication.Authenticated"/> and <see cref="TransportConnection.PeerIdentity"/> is the
/// peer's public key in base64.
/// </summary>
/// <remarks>
/// <para>
/// Client side (dialling <c>…~shs:PUBKEY</c>): PUBKEY is the server's Ed25519 public key (base64, 32 bytes) and the
/// handshake proves the server holds it. The client authenticates as <see cref="SecretHandshakeLayerOptions.Identity"/>,
/// unless the address carries the optional SEED field (base64, 32 bytes): then, as in multiserver's one-time-key
/// invites, the client authenticates as the identity derived from that seed. The seed is a secret: it is never
/// printed; the connection's address keeps only <c>shs:PUBKEY</c>.
/// </para>
/// <para>
/// Server side (listening on <c>…~shs</c> or <c>…~shs:OWN_PUBKEY</c>): the listener's identity is
/// <see cref="SecretHandshakeLayerOptions.Identity"/>, every client that proves its key is passed to
/// <see cref="SecretHandshakeLayerOptions.Authorize"/>, and the listener prints <c>~shs:OWN_PUBKEY</c> in its bound
/// and advertised addresses. A listen address with another key, or a seed, is refused.
/// </para>
/// <para>
/// Both sides need the same 32-byte network key (<see cref="SecretHandshakeLayerOptions.NetworkKey"/>); Weft has no
/// default one (Scuttlebutt's main-network key belongs to Scuttlebutt). Failures are a
/// <see cref="TransportException"/> (<see cref="TransportError.LayerFailed"/>) whose inner exception is the
/// <see cref="SecureChannelException"/> with the reason, or <see cref="TransportError.InvalidAddress"/> for bad fields.
/// </para>
/// </remarks>
public sealed class SecretHandshakeLayer : IStreamLayer
{
    /// <summary>The protocol name, <c>shs</c>.</summary>
    public const string ProtocolName = "shs";

    private readonly Ed25519Identity _identity;
    private readonly byte[] _networkKey;
    private readonly Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> _authorize;
    private readonly SecretHandshakeOptions _handshake;
    private readonly ProtocolPart _ownPart;

    /// <summary>Creates the layer; the options are validated and copied.</summary>
    /// <param name="options">Identity, network key, authorisation and handshake settings.</param>
    /// <exception cref="ArgumentException">The network key is not 32 bytes, or a required option is missing.</exception>
    public SecretHandshakeLayer(SecretHandshakeLayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _identity = options.Identity!;
        _networkKey = options.NetworkKey.ToArray();
        _authorize = options.Authorize;
        SecretHandshakeOptions source = options.Handshake ?? SecretHandshakeOptions.Default;
        _handshake = new SecretHandshakeOptions
        {
            HandshakeTimeout = source.HandshakeTimeout,
            TimeProvider = source.TimeProvider,
            LeaveInnerStreamOpen = false,
        };
        _ownPart = new ProtocolPart(ProtocolName, _identity.PublicKey.ToString());
    }

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <summary>This side's public key: what a listener prints as <c>shs:KEY</c>.</summary>
    public Ed25519PublicKey PublicKey => _identity.PublicKey;

    /// <inheritdoc/>
    public ProtocolPart GetListenerPart(ProtocolPart part) => _ownPart;

    /// <inheritdoc/>
    public async ValueTask<TransportConnection> ApplyAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(part);
        return connection.Role == ConnectionRole.Client
            ? await DialAsync(connection, part, cancellationToken).ConfigureAwait(false)
            : await AcceptAsync(connection, part, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Parses the fields of a dialled <c>shs:PUBKEY[:SEED]</c> part. The seed, when present, is returned as bytes the
    /// caller must wipe.
    /// </summary>
    /// <param name="part">The part.</param>
    /// <param name="serverKey">The server's key.</param>
    /// <param name="seed">The invite seed, or null.</param>
    /// <exception cref="TransportException">The fields are invalid (<see cref="TransportError.InvalidAddress"/>).</exception>
    internal static void ParseClientPart(ProtocolPart part, out Ed25519PublicKey serverKey, out byte[]? seed)
    {
        if (part.Fields.Count is < 1 or > 2)
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                $"shs takes one or two fields when dialling (shs:PUBKEY[:SEED]), found {part.Fields.Count}.");
        }

        if (!TryDecode32(part.Fields[0], out byte[]? key))
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                $"'shs:{part.Fields[0]}': the server key must be 32 bytes in base64.");
        }

        serverKey = Ed25519PublicKey.FromBytes(key);
        seed = null;
        if (part.Fields.Count == 2)
        {
            if (!TryDecode32(part.Fields[1], out seed))
            {
                // Never echo the field: it is meant to be a secret.
                throw new TransportException(TransportError.InvalidAddress, "shs: the seed field must be 32 bytes in base64.");
            }
        }
    }

    private async ValueTask<TransportConnection> DialAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken)
    {
        ParseClientPart(part, out Ed25519PublicKey serverKey, out byte[]? seed);
        Ed25519Identity? invite = null;
        try
        {
            if (seed is not null)
            {
                invite = Ed25519Identity.FromSeed(seed);
            }

            BoxStream box = await SecretHandshake.ClientAsync(
                connection.Stream, _networkKey, invite ?? _identity, serverKey, _handshake, cancellationToken).ConfigureAwait(false);
            // The printed address never carries the seed.
            return connection.WithLayer(box, new ProtocolPart(ProtocolName, serverKey.ToString()))
                .WithAuthentication(ConnectionAuthentication.Authenticated, serverKey.ToString());
        }
        finally
        {
            invite?.Dispose();
            if (seed is not null)
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
    }

    private async ValueTask<TransportConnection> AcceptAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken)
    {
        if (part.Fields.Count > 1)
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                "shs takes at most one field when listening (shs or shs:OWN_PUBKEY); a seed is for dialling only.");
        }

        if (part.Fields.Count == 1 &&
            (!TryDecode32(part.Fields[0], out byte[]? key) || !key.AsSpan().SequenceEqual(_identity.PublicKey.AsSpan())))
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                $"'shs:{part.Fields[0]}' is not this listener's public key ({_identity.PublicKey}); listen on '…~shs' to use it.");
        }

        BoxStream box = await SecretHandshake.ServerAsync(
            connection.Stream, _networkKey, _identity, _authorize, _handshake, cancellationToken).ConfigureAwait(false);
        return connection.WithLayer(box, _ownPart)
            .WithAuthentication(ConnectionAuthentication.Authenticated, box.RemotePublicKey.ToString());
    }

    private static bool TryDecode32(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = new byte[32];
        if (Convert.TryFromBase64String(text, bytes, out int written) && written == 32)
        {
            return true;
        }

        bytes = null;
        return false;
    }
}
