using Weft.Mux;

namespace Weft.Cli.Config;

/// <summary>The <c>mux:</c> section: the wire dialect every agent link of this process uses, and keepalive.</summary>
internal sealed class MuxSettings
{
    /// <summary>yamux (the default) or gomux with its pre-shared key (read from a file, never logged).</summary>
    public MuxDialect Dialect { get; init; } = MuxDialect.Yamux;

    public TimeSpan? KeepAliveInterval { get; init; }

    public TimeSpan? KeepAliveTimeout { get; init; }

    /// <summary>Fresh options for one role (options objects are not shared between hosts).</summary>
    public MuxOptions? Create()
    {
        if (Dialect.Kind == MuxDialectKind.Yamux && KeepAliveInterval is null && KeepAliveTimeout is null)
        {
            return null;
        }

        var options = new MuxOptions { Dialect = Dialect };
        if (KeepAliveInterval is { } interval)
        {
            options.KeepAliveInterval = interval;
        }

        if (KeepAliveTimeout is { } timeout)
        {
            options.KeepAliveTimeout = timeout;
        }

        return options;
    }
}
