namespace Weft.LoadTest;

/// <summary>Finds the repository root (the directory holding Weft.slnx) from the working directory or the program's own location.</summary>
internal static class RepoRoot
{
    public static string? Find()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Weft.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
