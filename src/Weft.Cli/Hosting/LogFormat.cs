namespace Weft.Cli.Hosting;

/// <summary>How log lines are written to standard error.</summary>
internal enum LogFormat
{
    /// <summary>One human-readable line per event (the default).</summary>
    Text,

    /// <summary>One JSON object per line, for log collectors.</summary>
    Json,
}
