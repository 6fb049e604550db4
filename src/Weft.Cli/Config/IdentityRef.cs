using Weft.Crypto;
using Weft.Crypto.Keys;

namespace Weft.Cli.Config;

/// <summary>
/// An identity file named by the configuration, with where it was named, so that a missing or unsafe file
/// is reported at that spot. The key is read only when the role starts.
/// </summary>
internal sealed record IdentityRef(string Path, string File, int Line, int Column, string Key)
{
    public Ed25519Identity Load()
    {
        try
        {
            return Ed25519Identity.Load(Path);
        }
        catch (CryptoException e)
        {
            string hint = e.Message.Contains("does not exist", StringComparison.Ordinal)
                ? $" Create it with: weft keygen -o {Path}"
                : string.Empty;
            throw new ConfigException(File, Line, Column, Key, e.Message + hint, e);
        }
    }
}
