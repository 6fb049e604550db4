// weft-shs-adapter: the executable that the npm shs1-test suite drives (shs1testserver / shs1testclient).
//   server mode: weft-shs-adapter NETWORK_KEY_HEX SERVER_SECRET_KEY_HEX SERVER_PUBLIC_KEY_HEX
//   client mode: weft-shs-adapter NETWORK_KEY_HEX SERVER_PUBLIC_KEY_HEX
// The handshake runs over stdin/stdout with Weft.Security's implementation. On success the program writes the
// 112-byte outcome (encryption key, encryption nonce, decryption key, decryption nonce) and exits 0; on any bad
// input it exits non-zero without writing anything more.
using Weft.Crypto.Keys;
using Weft.Security;

namespace Weft.ShsAdapter;

internal static class Program
{
    // shs1-test starts dozens of these processes at once and kills them when it has seen enough; under that load
    // a wall-clock handshake timeout only adds flakiness, so the harness's own supervision is the timeout.
    private static readonly SecretHandshakeOptions AdapterOptions = new() { HandshakeTimeout = Timeout.InfiniteTimeSpan };

    private static async Task<int> Main(string[] args)
    {
        try
        {
            return args.Length switch
            {
                3 => await RunServerAsync(args).ConfigureAwait(false),
                2 => await RunClientAsync(args).ConfigureAwait(false),
                _ => Usage(),
            };
        }
        catch (Exception e) when (e is SecureChannelException or IOException or FormatException or ArgumentException or Weft.Crypto.CryptoException)
        {
            await Console.Error.WriteLineAsync($"weft-shs-adapter: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> RunServerAsync(string[] args)
    {
        byte[] networkKey = Convert.FromHexString(args[0]);
        using Ed25519Identity identity = Ed25519Identity.FromSecretKey(Convert.FromHexString(args[1]));
        if (identity.PublicKey != Ed25519PublicKey.FromBytes(Convert.FromHexString(args[2])))
        {
            throw new ArgumentException("The server public key does not match the secret key.");
        }

        await using var stdio = new StdioStream();
        using SessionKeys keys = await SecretHandshake.ServerHandshakeAsync(
            stdio, networkKey, identity, SecretHandshake.AllowAnyClient, AdapterOptions, CancellationToken.None).ConfigureAwait(false);
        await WriteOutcomeAsync(stdio, keys).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> RunClientAsync(string[] args)
    {
        byte[] networkKey = Convert.FromHexString(args[0]);
        Ed25519PublicKey server = Ed25519PublicKey.FromBytes(Convert.FromHexString(args[1]));
        using Ed25519Identity identity = Ed25519Identity.Generate();

        await using var stdio = new StdioStream();
        using SessionKeys keys = await SecretHandshake.ClientHandshakeAsync(
            stdio, networkKey, identity, server, AdapterOptions, CancellationToken.None).ConfigureAwait(false);
        await WriteOutcomeAsync(stdio, keys).ConfigureAwait(false);
        return 0;
    }

    private static async Task WriteOutcomeAsync(Stream stdout, SessionKeys keys)
    {
        byte[] outcome = new byte[SessionKeys.OutcomeSize];
        keys.WriteOutcome(outcome);
        await stdout.WriteAsync(outcome).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: weft-shs-adapter NETWORK_KEY_HEX SERVER_SK_HEX SERVER_PK_HEX   (server)");
        Console.Error.WriteLine("       weft-shs-adapter NETWORK_KEY_HEX SERVER_PK_HEX                  (client)");
        return 2;
    }
}
