using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Cli.Config;

/// <summary>
/// An identity file named by the configuration, with where it was named, so that a missing or unsafe file
/// is reported at that spot. The key is read only when the role starts.
/// </summary>
internal sealed record IdentityRef(string Path, string File, int Line, int Column, string Key)
{
    /// <summary>Makes the identity in memory instead of reading <see cref="Path"/> (the demo's throwaway keys).</summary>
    public Func<Ed25519Identity>? Factory { get; init; }

    public Ed25519Identity Load()
    {
        if (Factory is not null)
        {
            return Factory();
        }

        try
        {
            return Ed25519Identity.Load(Path);
        }
        catch (CryptoException e)
        {
            // The library's advice is for programmers; at the command line the advice is weft keygen.
            string message = e.Message;
            int libraryHint = message.IndexOf(" Create one first", StringComparison.Ordinal);
            if (libraryHint >= 0)
            {
                message = message[..libraryHint];
            }

            string hint = message.Contains("does not exist", StringComparison.Ordinal)
                ? $" Create it with: weft keygen -o {Path}"
                : string.Empty;
            throw new ConfigException(File, Line, Column, Key, message + hint, e);
        }
    }
}
