using System.Security.Cryptography;
using Weft.Transports.Registry;

namespace Weft.Transports.Stripe;

/// <summary>
/// Dials a bundle: the first leg (which creates the bundle on the server), then the others at once, each
/// greeted with a hello carrying the random 128-bit bundle id; the bundle starts when every leg is accepted.
/// </summary>
internal sealed class StripeDialer : IConnectionDialer
{
    private readonly StripeCombinator _owner;
    private readonly IConnectionDialer _inner;
    private readonly ProtocolPart _part;
    private readonly int _legs;

    public StripeDialer(StripeCombinator owner, IConnectionDialer inner, ProtocolPart part, int legs)
    {
        _owner = owner;
        _inner = inner;
        _part = part;
        _legs = legs;
        Address = inner.Address.Append(part);
    }

    public Address Address { get; }

    public async ValueTask<TransportConnection> DialAsync(CancellationToken cancellationToken = default)
    {
        UInt128 bundleId = NewBundleId();
        var legs = new TransportConnection?[_legs];
        try
        {
            (legs[0], int peerWindow) = await DialLegAsync(0, bundleId, StripeHelloStatus.Accepted, cancellationToken).ConfigureAwait(false);
            var others = new Task<(TransportConnection, int)>[_legs - 1];
            for (int i = 1; i < _legs; i++)
            {
                others[i - 1] = DialLegAsync(i, bundleId, StripeHelloStatus.Accepted, cancellationToken).AsTask();
            }

            try
            {
                await Task.WhenAll(others).ConfigureAwait(false);
            }
            finally
            {
                for (int i = 0; i < others.Length; i++)
                {
                    if (others[i].IsCompletedSuccessfully)
                    {
                        legs[i + 1] = others[i].Result.Item1;
                    }
                }
            }

            TransportConnection[] connected = [.. legs.Select(l => l!)];
            StripeStream stream = _owner.CreateBundle(connected, peerWindow, (index, ct) => RedialAsync(bundleId, index, ct));
            return connected[0].WithLayer(stream, _part);
        }
        catch
        {
            foreach (TransportConnection? leg in legs)
            {
                await Quietly.DisposeAsync(leg).ConfigureAwait(false);
            }

            throw;
        }
    }

    internal static UInt128 NewBundleId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>Dials a new connection for the dead leg <paramref name="index"/> and greets it as a rejoin of the running bundle.</summary>
    private async ValueTask<TransportConnection> RedialAsync(UInt128 bundleId, int index, CancellationToken cancellationToken) =>
        (await DialLegAsync(index, bundleId, StripeHelloStatus.Rejoin, cancellationToken).ConfigureAwait(false)).Connection;

    /// <summary>Dials one leg and exchanges hellos; <paramref name="request"/> is 0 for a new bundle's leg or <see cref="StripeHelloStatus.Rejoin"/>.</summary>
    private async ValueTask<(TransportConnection Connection, int PeerWindow)> DialLegAsync(int index, UInt128 bundleId, StripeHelloStatus request, CancellationToken cancellationToken)
    {
        TransportConnection connection = await _inner.DialAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(_owner.Options.BundleTimeout, _owner.Options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            byte[] hello = new byte[StripeWire.HelloSize];
            StripeWire.WriteHello(hello, _legs, index, request, _owner.Options.ReceiveWindowBytes, bundleId);
            try
            {
                await connection.Stream.WriteAsync(hello, linked.Token).ConfigureAwait(false);
                await connection.Stream.FlushAsync(linked.Token).ConfigureAwait(false);
                await connection.Stream.ReadExactlyAsync(hello, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TransportException(TransportError.TimedOut, $"Stripe leg {index} of {Address}: the server did not answer the hello within {_owner.Options.BundleTimeout.TotalSeconds:0.#} s.", ex);
            }
            catch (Exception ex) when (ex is IOException or EndOfStreamException && ex is not TransportException)
            {
                throw new TransportException(TransportError.LayerFailed, $"Stripe leg {index} of {Address}: the connection ended during the hello ({ex.Message}); is the server listening with '~stripe'?", ex);
            }

            StripeHello reply;
            try
            {
                reply = StripeWire.ReadHello(hello);
            }
            catch (StripeProtocolException ex)
            {
                throw new TransportException(TransportError.LayerFailed, $"Stripe leg {index} of {Address}: {ex.Message}.", new StripeException(StripeError.ProtocolError, ex.Message, ex));
            }

            if (reply.Status != StripeHelloStatus.Accepted)
            {
                string why = request == StripeHelloStatus.Rejoin ? "rejoin: " + DescribeRejoin(reply.Status) : Describe(reply.Status);
                throw new TransportException(TransportError.LayerFailed, $"Stripe leg {index} of {Address} was refused by the server: {why}.", new StripeException(StripeError.Refused, why));
            }

            if (reply.BundleId != bundleId || reply.LegCount != _legs || reply.LegIndex != index || reply.ReceiveWindow < StripeWire.HeaderSize + 1)
            {
                const string why = "the server's answer does not match the hello (bundle id, leg count, index or window)";
                throw new TransportException(TransportError.LayerFailed, $"Stripe leg {index} of {Address}: {why}.", new StripeException(StripeError.ProtocolError, why));
            }

            return (connection, reply.ReceiveWindow);
        }
        catch
        {
            await Quietly.DisposeAsync(connection).ConfigureAwait(false);
            throw;
        }
    }

    internal static string DescribeRejoin(StripeHelloStatus status) => status switch
    {
        StripeHelloStatus.UnknownBundle => "the server no longer has that bundle",
        StripeHelloStatus.NotInBundle => "the server did not accept the leg as a member of the bundle (other leg count or peer identity, or no rejoins left)",
        StripeHelloStatus.Unsupported => "the server does not support rejoining legs (an older Weft); the bundle goes on with its other legs",
        _ => Describe(status),
    };

    internal static string Describe(StripeHelloStatus status) => status switch
    {
        StripeHelloStatus.UnknownBundle => "unknown bundle id (the bundle timed out or was never opened by its first leg)",
        StripeHelloStatus.NotInBundle => "the leg does not belong to that bundle (other leg count, index already taken, or another peer identity)",
        StripeHelloStatus.Busy => "too many bundles are waiting for their legs; try again later",
        StripeHelloStatus.Unsupported => "the server does not allow that many legs or that leg index (see its '~stripe:N' address)",
        _ => $"status {(int)status}",
    };
}
