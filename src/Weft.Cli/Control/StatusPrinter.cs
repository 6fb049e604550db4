using System.Globalization;
using Weft.Cli.Commands;

namespace Weft.Cli.Control;

/// <summary>Prints a <see cref="StatusDocument"/> for people (<c>weft status</c> without <c>--json</c>).</summary>
internal static class StatusPrinter
{
    private static readonly string[] s_sessionHeader = ["peer", "role", "names", "state", "rtt", "streams", "sent", "received", "since", "address"];
    private static readonly string[] s_legHeader = ["leg", "state", "sent", "received", "queue", "resent", "rate", "rtt", "rejoins", "remote"];
    private static readonly string[] s_forwardHeader = ["forward", "bound", "open", "total", "refused", "to target", "from target"];

    public static void Print(StatusDocument status, TextWriter o)
    {
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"weft {status.Version}, pid {status.Pid}, up {Uptime(status.UptimeSeconds)} ({status.Source})"));
        if (status.Control is not null)
        {
            o.WriteLine($"control: {status.Control}");
        }

        if (status.SocketCompletions is not null)
        {
            o.WriteLine($"socket completions: {status.SocketCompletions}");
        }

        foreach (RoleStatus role in status.Roles)
        {
            o.WriteLine();
            o.WriteLine(role.Name is null ? role.Role : $"{role.Role} {role.Name}");
            if (role.Error is not null)
            {
                o.WriteLine($"  status unavailable: {role.Error}");
                continue;
            }

            foreach (string address in role.Listen)
            {
                o.WriteLine($"  listening   {address}");
            }

            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  streams     {role.ActiveStreams} open, {role.TotalStreams} total, {role.RefusedStreams} refused"));
            if (role.Sessions.Count > 0)
            {
                o.WriteLine("  sessions");
                var rows = new List<string[]> { s_sessionHeader };
                foreach (SessionStatus s in role.Sessions)
                {
                    rows.Add(
                    [
                        s.PeerKey is null ? "-" : s.PeerKey[..Math.Min(8, s.PeerKey.Length)] + "…",
                        s.PeerRole,
                        s.Names.Count == 0 ? "-" : string.Join(",", s.Names),
                        s.Generation > 1 ? string.Create(CultureInfo.InvariantCulture, $"{s.State} (#{s.Generation})") : s.State,
                        s.State == "connected" ? Rtt(s.RttMs) : "-",
                        string.Create(CultureInfo.InvariantCulture, $"{s.ActiveStreams}/{s.TotalStreams}"),
                        ByteSize.Format(s.BytesSent),
                        ByteSize.Format(s.BytesReceived),
                        s.Since.ToUniversalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                        s.Address,
                    ]);
                }

                WriteTable(o, rows, "    ");
                foreach (SessionStatus s in role.Sessions.Where(s => s.LastError is not null))
                {
                    o.WriteLine($"    last error ({s.Address}): {s.LastError}");
                }

                foreach (SessionStatus s in role.Sessions.Where(s => s.Legs is { Count: > 0 }))
                {
                    PrintLegs(o, s);
                }
            }

            if (role.Forwards.Count > 0)
            {
                o.WriteLine("  forwards");
                var rows = new List<string[]> { s_forwardHeader };
                foreach (ForwardStatus f in role.Forwards)
                {
                    rows.Add(
                    [
                        f.Forward,
                        f.Bound ?? "(not bound)",
                        f.ActiveConnections.ToString(CultureInfo.InvariantCulture),
                        f.TotalConnections.ToString(CultureInfo.InvariantCulture),
                        f.RefusedConnections.ToString(CultureInfo.InvariantCulture),
                        ByteSize.Format(f.BytesToTarget),
                        ByteSize.Format(f.BytesFromTarget),
                    ]);
                }

                WriteTable(o, rows, "    ");
                foreach (ForwardStatus f in role.Forwards.Where(f => f.LastError is not null))
                {
                    o.WriteLine($"    last error ({f.Forward}): {f.LastError}");
                }
            }
        }
    }

    /// <summary>The legs of a striped session: bytes each way and the queue depth the sender balances.</summary>
    private static void PrintLegs(TextWriter o, SessionStatus s)
    {
        IReadOnlyList<LegStatus> legs = s.Legs!;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    legs of {s.Address} ({legs.Count(l => l.State == "up")} of {legs.Count} up)"));
        var rows = new List<string[]> { s_legHeader };
        foreach (LegStatus l in legs)
        {
            rows.Add(
            [
                l.Index.ToString(CultureInfo.InvariantCulture),
                l.State,
                ByteSize.Format(l.BytesSent),
                ByteSize.Format(l.BytesReceived),
                ByteSize.Format(l.QueueBytes),
                ByteSize.Format(l.ResentBytes),
                l.RateBytesPerSecond > 0 ? ByteSize.Format((long)l.RateBytesPerSecond) + "/s" : "-",
                Rtt(l.MinRttMs),
                l.Rejoins.ToString(CultureInfo.InvariantCulture),
                l.Remote ?? "-",
            ]);
        }

        WriteTable(o, rows, "      ");
    }

    public static string Rtt(double ms) => ms switch
    {
        <= 0 => "-",
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{ms * 1000:0} µs"),
        < 100 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms:0} ms"),
    };

    private static string Uptime(double seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 24 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}d {t.Hours}h")
            : t.TotalMinutes >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h {t.Minutes}m")
            : t.TotalSeconds >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m {t.Seconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.0}s");
    }

    private static void WriteTable(TextWriter o, List<string[]> rows, string indent)
    {
        int columns = rows[0].Length;
        int[] widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (string[] row in rows)
        {
            o.WriteLine(indent + string.Join("  ", row.Select((cell, c) => c == columns - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }
}
