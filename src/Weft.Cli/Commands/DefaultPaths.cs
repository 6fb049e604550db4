namespace Weft.Cli.Commands;

/// <summary>Where weft keeps its files unless told otherwise.</summary>
internal static class DefaultPaths
{
    /// <summary><c>~/.weft</c>.</summary>
    public static string Home => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".weft");

    /// <summary><c>~/.weft/identity.key</c>: the identity every command uses by default.</summary>
    public static string Identity => "~/.weft/identity.key";

    /// <summary>
    /// The folder for control sockets: <c>$XDG_RUNTIME_DIR/weft</c> when set (a per-user tmpfs), else
    /// <c>~/.weft/run</c>. <c>WEFT_CONTROL_DIR</c> overrides both.
    /// </summary>
    public static string ControlDirectory
    {
        get
        {
            string? explicitDir = Environment.GetEnvironmentVariable("WEFT_CONTROL_DIR");
            if (!string.IsNullOrEmpty(explicitDir))
            {
                return explicitDir;
            }

            string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return !string.IsNullOrEmpty(runtime) ? Path.Combine(runtime, "weft") : Path.Combine(Home, "run");
        }
    }

    /// <summary>Expands a leading <c>~/</c> to the user's home folder.</summary>
    public static string ExpandHome(string path) =>
        path == "~" ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)
        : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
        : path;
}
