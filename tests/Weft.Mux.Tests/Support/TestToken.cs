namespace Weft.Mux.Tests.Support;

internal static class TestToken
{
    /// <summary>The test's own token, limited to <paramref name="seconds"/>.</summary>
    public static CancellationToken Create(int seconds = 30)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(seconds));
        return source.Token;
    }
}
