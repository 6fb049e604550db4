namespace Weft.LoadTest;

/// <summary>Command-line settings and the sizes they imply (full run or <c>--quick</c> smoke run).</summary>
internal sealed class HarnessOptions
{
    public const string Usage = """
        Weft.LoadTest: loopback benchmarks of Weft against raw TCP and Go hashicorp/yamux, in one run

          Weft.LoadTest [--quick] [--json] [--only GROUP[,GROUP...]] [--repeat N]
                        [--go PATH] [--weft-peer PATH] [--no-peers] [--fresh-servers]

          --quick       small sizes, one repetition: a smoke run of well under a minute
          --json        one JSON object per line on stdout ({"test","impl","value","unit"}, plus ratios);
                        the table then goes to stderr
          --only        groups: bulk, echo, rtt, openclose, idle, alloc, stripe (default: all)
          --repeat N    repetitions per measurement; the median is reported (default 3, quick 1)
          --go PATH     the Go yamux peer (default interop/go-yamux/build/go-yamux-peer)
          --weft-peer PATH  Weft's peer (default interop/weft-peer/bin/Release/net10.0/weft-peer)
          --no-peers    in-process tests only
          --fresh-servers  start every peer server anew before each repetition, so that one long-lived
                        server's scheduling luck (which core its threads settle on) does not set a whole
                        run's figures; each repetition then samples it afresh for every implementation

          raw-peer server|client|rtt|openclose ...   the raw TCP peer this harness starts (peer CLI)
        """;

    public static readonly string[] AllGroups = ["bulk", "echo", "rtt", "openclose", "idle", "alloc", "stripe"];

    public bool Quick { get; private set; }

    public bool Json { get; private set; }

    public bool Help { get; private set; }

    public bool NoPeers { get; private set; }

    public bool FreshServers { get; private set; }

    public int Repeat { get; private set; }

    public HashSet<string> Groups { get; } = new(StringComparer.Ordinal);

    public string? GoPeer { get; private set; }

    public string? WeftPeer { get; private set; }

    /// <summary>Bytes moved one way per in-process bulk run (split across the streams).</summary>
    public long BulkBytes => Quick ? 64L << 20 : 1L << 30;

    /// <summary>Bytes echoed per peer-program run, split across the streams.</summary>
    public long EchoBytes => Quick ? 32L << 20 : 256L << 20;

    public int RttCount => Quick ? 500 : 5000;

    public int OpenCloseCount => Quick ? 300 : 2000;

    public int IdleStreams => Quick ? 2000 : 10_000;

    public long AllocBytes => Quick ? 32L << 20 : 256L << 20;

    public long AllocSmallFrameBytes => Quick ? 16L << 20 : 64L << 20;

    public bool Wants(string group) => Groups.Count == 0 || Groups.Contains(group);

    public static HarnessOptions Parse(string[] args)
    {
        var options = new HarnessOptions { Repeat = -1 };
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    options.Quick = true;
                    break;
                case "--json":
                    options.Json = true;
                    break;
                case "--no-peers":
                    options.NoPeers = true;
                    break;
                case "--fresh-servers":
                    options.FreshServers = true;
                    break;
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "--only":
                    foreach (string group in Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (Array.IndexOf(AllGroups, group) < 0)
                        {
                            throw new ArgumentException($"unknown group '{group}' (known: {string.Join(", ", AllGroups)})");
                        }

                        options.Groups.Add(group);
                    }

                    break;
                case "--repeat":
                    options.Repeat = int.TryParse(Value(args, ref i), out int n) && n > 0 ? n : throw new ArgumentException("--repeat takes a positive whole number");
                    break;
                case "--go":
                    options.GoPeer = Value(args, ref i);
                    break;
                case "--weft-peer":
                    options.WeftPeer = Value(args, ref i);
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        if (options.Repeat < 0)
        {
            options.Repeat = options.Quick ? 1 : 3;
        }

        return options;
    }

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
}
