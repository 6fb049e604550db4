// Weft.Benchmarks: BenchmarkDotNet micro-benchmarks of the yamux codec and of a MuxSession pair over an
// in-memory duplex. `--quick` maps to BenchmarkDotNet's short job (`--job short`).
using BenchmarkDotNet.Running;

string[] arguments = [.. args.SelectMany(a => a == "--quick" ? new[] { "--job", "short" } : [a])];
BenchmarkSwitcher.FromAssembly(typeof(Weft.Benchmarks.CodecBenchmarks).Assembly).Run(arguments);
