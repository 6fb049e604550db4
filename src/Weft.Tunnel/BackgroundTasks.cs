using System.Collections.Concurrent;

namespace Weft.Tunnel;

/// <summary>Background work of a host: every task is tracked and awaited on dispose (STYLE rule 11: no unobserved fire-and-forget).</summary>
internal sealed class BackgroundTasks
{
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public int Count => _running.Count;

    /// <summary>Starts <paramref name="work"/> on the thread pool and tracks it; its exceptions are observed (work is expected to log its own).</summary>
    public void Run(Func<Task> work)
    {
        Task task = Task.Run(async () =>
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Every worker logs what matters; a stray exception must not go unobserved.
            }
        });
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits for everything running now and everything it starts, until nothing is left.</summary>
    public async Task WaitAllAsync()
    {
        while (!_running.IsEmpty)
        {
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        }
    }
}
