namespace Weft.Transports;

/// <summary>Cleanup on failure paths, where a second exception must not hide the first.</summary>
internal static class Quietly
{
    public static async ValueTask DisposeAsync(IAsyncDisposable? disposable)
    {
        if (disposable is null)
        {
            return;
        }

        try
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already failing; the original error is the one that matters.
        }
    }
}
