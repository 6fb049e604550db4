using System.Runtime.CompilerServices;
using Xunit.Sdk;
using Xunit.v3;

namespace Weft.Testing;

/// <summary>A capability a stream under the conformance suite declares through its <c>Supports…</c> hooks.</summary>
[Flags]
public enum StreamCapability
{
    /// <summary>No capability: the test applies to every stream.</summary>
    None = 0,

    /// <summary><see cref="ConnectedStreamConformanceTests.SupportsHalfClose"/>.</summary>
    HalfClose = 1,

    /// <summary><see cref="ConnectedStreamConformanceTests.SupportsAbort"/>.</summary>
    Abort = 2,

    /// <summary><see cref="ConnectedStreamConformanceTests.SupportsTimeouts"/>.</summary>
    Timeouts = 4,

    /// <summary><see cref="ConnectedStreamConformanceTests.BlocksOnWriteWhenPeerDoesNotRead"/>.</summary>
    BackPressure = 8,

    /// <summary><see cref="ConnectedStreamConformanceTests.ZeroByteReadWaitsForData"/>.</summary>
    ZeroByteReadWaits = 16,
}

/// <summary>
/// A fact of the conformance suite that exists only for the streams it applies to: a test class whose
/// capability hooks do not declare every capability in <see cref="Requires"/> (or declare one in
/// <see cref="RequiresAbsent"/>) gets no test case for the method at all. A test that does not apply is
/// therefore neither run nor reported as skipped, and every test that is reported ran its assertions.
/// </summary>
/// <remarks>
/// The discoverer reads the capability hooks of the concrete test class on an uninitialised instance,
/// so the hooks must be constants (<c>=&gt; true</c>), never depend on constructor state.
/// </remarks>
[XunitTestCaseDiscoverer(typeof(ConformanceFactDiscoverer))]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ConformanceFactAttribute : FactAttribute
{
    /// <summary>Capabilities the stream must declare for the test to exist.</summary>
    public StreamCapability Requires { get; init; }

    /// <summary>Capabilities the stream must NOT declare for the test to exist.</summary>
    public StreamCapability RequiresAbsent { get; init; }
}

/// <summary>Discovers a <see cref="ConformanceFactAttribute"/> test only on classes whose capabilities match.</summary>
public sealed class ConformanceFactDiscoverer : FactDiscoverer
{
    /// <inheritdoc/>
    public override ValueTask<IReadOnlyCollection<IXunitTestCase>> Discover(
        ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, IFactAttribute factAttribute)
    {
        ArgumentNullException.ThrowIfNull(testMethod);
        var fact = (ConformanceFactAttribute)factAttribute;
        Type testClass = testMethod.TestClass.Class;
        if (!testClass.IsAbstract && typeof(ConnectedStreamConformanceTests).IsAssignableFrom(testClass))
        {
            var probe = (ConnectedStreamConformanceTests)RuntimeHelpers.GetUninitializedObject(testClass);
            StreamCapability declared = probe.DeclaredCapabilities;
            if ((declared & fact.Requires) != fact.Requires || (declared & fact.RequiresAbsent) != 0)
            {
                return new([]);
            }
        }

        return base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
