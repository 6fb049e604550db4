using System.CommandLine;
using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft keygen</c>: writes a new Ed25519 identity file (owner-only permissions) and prints the public id
/// and the address forms a peer needs. Refuses to replace an existing file unless <c>--force</c>.
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = "Identity file to write (created with mode 600; its folder with 700 when missing)",
            DefaultValueFactory = _ => DefaultPaths.Identity,
            HelpName = "path",
        };
        var force = new Option<bool>("--force", "-f")
        {
            Description = "Replace an existing identity file (the old key is lost: peers that trust it must be told the new one)",
        };
        var show = new Option<bool>("--show")
        {
            Description = "Do not write anything: print the public id and address forms of the existing file",
        };
        var command = new Command("keygen", """
            Creates an Ed25519 identity (the key pair that names this machine to its peers) and prints its
            public id and the forms to give to peers: the relay/server address suffix (~noise:ID, weft's
            default secure layer; ~shs:ID for multiserver/secret-handshake peers) and the key for their allow
            lists. The same key serves both layers. The secret never leaves the file and is never printed.

            Output lines that scripts can parse:
              identity: PATH
              public: ID

            Examples:
              weft keygen                               writes ~/.weft/identity.key
              weft keygen -o relay.key                  a separate key for a relay
              weft keygen -o relay.key --show           print the public id of an existing key
              weft keygen -o relay.key --force          replace it (peers must learn the new id)
            """);
        command.Options.Add(output);
        command.Options.Add(force);
        command.Options.Add(show);
        command.SetAction(parse => Run(parse.GetValue(output)!, parse.GetValue(force), parse.GetValue(show)));
        return command;
    }

    internal static int Run(string path, bool force, bool show)
    {
        path = DefaultPaths.ExpandHome(path);
        if (show)
        {
            try
            {
                using Ed25519Identity existing = Ed25519Identity.Load(path);
                Print(path, existing.PublicKey, written: false);
                return 0;
            }
            catch (CryptoException e)
            {
                Console.Error.WriteLine($"weft keygen: {e.Message}");
                return 1;
            }
        }

        if (File.Exists(path) && !force)
        {
            string current = TryReadPublic(path) is { } key ? $" (its public id is {key})" : string.Empty;
            Console.Error.WriteLine($"weft keygen: '{path}' already exists{current}. Not overwriting it: pass --force to replace it, or -o to write another file.");
            return 1;
        }

        try
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null && !Directory.Exists(folder))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(folder);
                }
                else
                {
                    Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            using Ed25519Identity identity = Ed25519Identity.Generate();
            identity.Save(path, overwrite: force);
            Print(path, identity.PublicKey, written: true);
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"weft keygen: cannot write '{path}': {e.Message}");
            return 1;
        }
    }

    private static string? TryReadPublic(string path)
    {
        try
        {
            using Ed25519Identity identity = Ed25519Identity.Load(path);
            return identity.PublicKey.ToString();
        }
        catch (CryptoException)
        {
            return null;
        }
    }

    private static void Print(string path, Ed25519PublicKey key, bool written)
    {
        var o = Console.Out;
        o.WriteLine($"identity: {Path.GetFullPath(path)}{(written ? " (new, mode 600)" : string.Empty)}");
        o.WriteLine($"public: {key}");
        o.WriteLine();
        o.WriteLine("Give peers the public id, never the file. In their configuration it appears as:");
        o.WriteLine($"  relay address        net:HOST:7000~noise:{key}     (when this key runs `weft relay`)");
        o.WriteLine($"  direct server        net:HOST:7001~noise:{key}     (when it runs `weft serve --listen`)");
        o.WriteLine($"  multiserver peers    net:HOST:7000~shs:{key}     (secret-handshake, when the listener offers ~shs)");
        o.WriteLine($"  allow lists          {key}");
        o.WriteLine($"  scuttlebutt form     {key.ToSigilString()}");
    }
}
