using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Weft.Cli.Hosting;

/// <summary>
/// Builds the process's logger factory: Microsoft.Extensions.Logging's console logger, everything on
/// standard error (standard output is kept for the parseable lines such as <c>listening: …</c>), in text
/// or JSON. Dispose the factory before exiting so that queued lines are written.
/// </summary>
internal static class Logging
{
    public static ILoggerFactory Create(LogLevel level, LogFormat format) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(level);
            builder.AddConsole(o =>
            {
                o.LogToStandardErrorThreshold = LogLevel.Trace;
                o.FormatterName = format == LogFormat.Json ? ConsoleFormatterNames.Json : ConsoleFormatterNames.Simple;
            });
            if (format == LogFormat.Json)
            {
                builder.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.IncludeScopes = true;
                });
            }
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "HH:mm:ss.fff ";
                    o.IncludeScopes = false;
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
            }
        });

    public static bool TryParseLevel(string text, out LogLevel level)
    {
        switch (text.ToUpperInvariant())
        {
            case "TRACE": level = LogLevel.Trace; return true;
            case "DEBUG": level = LogLevel.Debug; return true;
            case "INFO" or "INFORMATION": level = LogLevel.Information; return true;
            case "WARN" or "WARNING": level = LogLevel.Warning; return true;
            case "ERROR": level = LogLevel.Error; return true;
            case "CRITICAL": level = LogLevel.Critical; return true;
            case "NONE": level = LogLevel.None; return true;
            default: level = LogLevel.Information; return false;
        }
    }

    public static bool TryParseFormat(string text, out LogFormat format)
    {
        switch (text.ToUpperInvariant())
        {
            case "TEXT": format = LogFormat.Text; return true;
            case "JSON": format = LogFormat.Json; return true;
            default: format = LogFormat.Text; return false;
        }
    }
}
