using Weft.Mux.Tests.Support;

namespace Weft.Mux.Tests.Gomux;

internal static class GomuxTimed
{
    /// <summary>Runs a synchronous codec test body under the test's timeout token (STYLE rule 15).</summary>
    public static Task RunAsync(Action body, int seconds = 60)
    {
        CancellationToken token = TestToken.Create(seconds);
        return Task.Run(body, token).WaitAsync(token);
    }
}
