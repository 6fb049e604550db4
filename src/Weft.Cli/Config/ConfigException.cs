namespace Weft.Cli.Config;

/// <summary>
/// A configuration file (or the command line standing in for one) is wrong. The message starts with
/// <c>FILE:LINE:COLUMN: KEY: </c> so an editor can jump to the spot, then says what to do.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception for a spot in a file.</summary>
    /// <param name="file">The file as the user named it (or <c>command line</c>).</param>
    /// <param name="line">1-based line, or 0 when unknown.</param>
    /// <param name="column">1-based column, or 0 when unknown.</param>
    /// <param name="key">The dotted key path, e.g. <c>relay.clients[1].key</c>; empty for the document itself.</param>
    /// <param name="problem">What is wrong and what to do.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public ConfigException(string file, int line, int column, string key, string problem, Exception? inner = null)
        : base(Format(file, line, column, key, problem), inner)
    {
        File = file;
        Line = line;
        Column = column;
        Key = key;
        Problem = problem;
    }

    /// <summary>Creates the exception with a message only (prefer the located constructor).</summary>
    public ConfigException()
        : this("config", 0, 0, string.Empty, "invalid configuration")
    {
    }

    /// <summary>Creates the exception with a message only (prefer the located constructor).</summary>
    /// <param name="message">The message.</param>
    public ConfigException(string message)
        : this("config", 0, 0, string.Empty, message)
    {
    }

    /// <summary>Creates the exception with a message only (prefer the located constructor).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ConfigException(string message, Exception innerException)
        : this("config", 0, 0, string.Empty, message, innerException)
    {
    }

    /// <summary>The file as the user named it.</summary>
    public string File { get; }

    /// <summary>1-based line, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column, or 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>The dotted key path of the offending value.</summary>
    public string Key { get; }

    /// <summary>The problem without the location prefix.</summary>
    public string Problem { get; }

    private static string Format(string file, int line, int column, string key, string problem)
    {
        string where = line > 0 ? $"{file}:{line}:{column}" : file;
        return key.Length > 0 ? $"{where}: {key}: {problem}" : $"{where}: {problem}";
    }
}
