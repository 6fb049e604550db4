namespace Weft.Mux.Tests.Fuzz;

/// <summary>
/// The fuzz tests measure process-wide things (managed heap size, unobserved task exceptions), so they run
/// alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzz (not parallel)";
}
