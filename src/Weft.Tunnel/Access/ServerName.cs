using System.Diagnostics.CodeAnalysis;

namespace Weft.Tunnel.Access;

/// <summary>
/// Server names: what a client agent asks the relay for (<c>-L 8080:office:localhost:80</c>). A name is
/// 1 to 63 characters of lower-case letters, digits and '-', starting with a letter (so it can never be
/// mistaken for a port number in a forward spec).
/// </summary>
public static class ServerName
{
    /// <summary>The longest name.</summary>
    public const int MaxLength = 63;

    /// <summary>Whether <paramref name="name"/> is a valid server name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValid([NotNullWhen(true)] string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name[0] is < 'a' or > 'z')
        {
            return false;
        }

        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws when <paramref name="name"/> is not a valid server name.</summary>
    /// <param name="name">The name.</param>
    /// <param name="what">Where the name came from, for the message.</param>
    /// <returns>The name.</returns>
    /// <exception cref="FormatException">The name is invalid.</exception>
    public static string Validate(string? name, string what) =>
        IsValid(name)
            ? name
            : throw new FormatException($"{what}: '{name}' is not a server name (1-{MaxLength} characters a-z, 0-9 and '-', starting with a letter).");
}
