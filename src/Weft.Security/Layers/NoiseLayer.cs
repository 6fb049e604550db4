using Weft.Crypto;
using Weft.Crypto.Keys;
using Weft.Transports;
using Weft.Transports.Registry;

namespace Weft.Security.Layers;

/// <summary>
/// The <c>noise</c> address layer: Weft's native secure channel, Noise_IK_25519_ChaChaPoly_SHA256 with Weft identities
/// (<see cref="NoiseHandshake"/>). After it, the connection's stream is a <see cref="NoiseStream"/>,
/// <see cref="TransportConnection.Authentication"/> is <see cref="ConnectionAuthentication.Authenticated"/> and
/// <see cref="TransportConnection.PeerIdentity"/> is the peer's Ed25519 public key in base64.
/// </summary>
/// <remarks>
/// <para>
/// Dialling <c>…~noise:PUBKEY</c>: PUBKEY is the responder's Ed25519 public key in base64 (32 bytes), the same text
/// <c>shs:PUBKEY</c> carries, and the handshake proves the responder holds it. This side authenticates as the layer's
/// identity. Listening on <c>…~noise</c> or <c>…~noise:OWN_PUBKEY</c>: the layer's identity is the responder's key,
/// every initiator that proves its key is passed to <see cref="NoiseLayerOptions.Authorize"/>, and the listener
/// prints <c>~noise:OWN_PUBKEY</c> in its bound and advertised addresses. The optional network key is configuration
/// (<see cref="NoiseLayerOptions.NetworkKey"/>), never part of the address.
/// </para>
/// <para>
/// Failures are a <see cref="TransportException"/> (<see cref="TransportError.LayerFailed"/>) whose inner exception is
/// the <see cref="SecureChannelException"/> with the reason, or <see cref="TransportError.InvalidAddress"/> for bad
/// fields.
/// </para>
/// </remarks>
public sealed class NoiseLayer : IStreamLayer
{
    /// <summary>The protocol name, <c>noise</c>.</summary>
    public const string ProtocolName = "noise";

    private readonly Ed25519Identity _identity;
    private readonly Func<Ed25519PublicKey, CancellationToken, ValueTask<bool>> _authorize;
    private readonly NoiseOptions _handshake;
    private readonly ProtocolPart _ownPart;

    /// <summary>Creates the layer; the options are validated and copied.</summary>
    /// <param name="identity">This peer's identity: the responder's key when listening, the initiator's when dialling. Not disposed by the layer.</param>
    /// <param name="options">Network key, authorisation and timeout; null for the defaults (no network key, refuse every initiator).</param>
    /// <exception cref="ArgumentException">The network key is neither empty nor 32 bytes, or the timeout is invalid.</exception>
    public NoiseLayer(Ed25519Identity identity, NoiseLayerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        options ??= new NoiseLayerOptions();
        _identity = identity;
        _handshake = options.ToHandshakeOptions();
        _authorize = options.Authorize;
        _ownPart = new ProtocolPart(ProtocolName, identity.PublicKey.ToString());
    }

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <summary>This side's public key: what a listener prints as <c>noise:KEY</c>.</summary>
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

    /// <summary>Parses the field of a dialled <c>noise:PUBKEY</c> part.</summary>
    /// <param name="part">The part.</param>
    /// <returns>The responder's key.</returns>
    /// <exception cref="TransportException">The field is missing or invalid (<see cref="TransportError.InvalidAddress"/>).</exception>
    internal static Ed25519PublicKey ParseDialPart(ProtocolPart part)
    {
        if (part.Fields.Count != 1)
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                $"noise takes exactly one field when dialling (noise:PUBKEY, the responder's Ed25519 key in base64), found {part.Fields.Count}.");
        }

        Span<byte> curve = stackalloc byte[X25519.PublicKeySize];
        if (!Ed25519PublicKey.TryParse(part.Fields[0], out Ed25519PublicKey? key) || !Ed25519.TryPublicKeyToCurve25519(key.AsSpan(), curve))
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                $"'noise:{part.Fields[0]}': the responder key must be an Ed25519 public key, 32 bytes in base64 (as 'weft' and 'shs:' print it).");
        }

        return key;
    }

    private async ValueTask<TransportConnection> DialAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken)
    {
        Ed25519PublicKey responder = ParseDialPart(part);
        NoiseStream stream = await NoiseHandshake.InitiatorAsync(connection.Stream, _identity, responder, _handshake, cancellationToken)
            .ConfigureAwait(false);
        return connection.WithLayer(stream, new ProtocolPart(ProtocolName, responder.ToString()))
            .WithAuthentication(ConnectionAuthentication.Authenticated, responder.ToString());
    }

    private async ValueTask<TransportConnection> AcceptAsync(TransportConnection connection, ProtocolPart part, CancellationToken cancellationToken)
    {
        if (part.Fields.Count > 1)
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                "noise takes at most one field when listening (noise or noise:OWN_PUBKEY).");
        }

        if (part.Fields.Count == 1 &&
            (!Ed25519PublicKey.TryParse(part.Fields[0], out Ed25519PublicKey? key) || key != _identity.PublicKey))
        {
            throw new TransportException(
                TransportError.InvalidAddress,
                $"'noise:{part.Fields[0]}' is not this listener's public key ({_identity.PublicKey}); listen on '…~noise' to use it.");
        }

        NoiseStream stream = await NoiseHandshake.ResponderAsync(connection.Stream, _identity, _authorize, _handshake, cancellationToken)
            .ConfigureAwait(false);
        return connection.WithLayer(stream, _ownPart)
            .WithAuthentication(ConnectionAuthentication.Authenticated, stream.RemotePublicKey.ToString());
    }
}
