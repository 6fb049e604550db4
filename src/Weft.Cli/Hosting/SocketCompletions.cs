using System.Net.Sockets;
using System.Reflection;

namespace Weft.Cli.Hosting;

/// <summary>
/// Where socket completions run in a <c>weft</c> process. On Linux and macOS, .NET's socket engine waits for
/// readiness on its own event thread (epoll/kqueue) and by default queues every completion to the thread
/// pool: each received message costs two thread wake-ups, the event thread's and a pool worker's. With
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> the completion (and the async code that awaited
/// it) runs on the event thread itself: one wake-up per message, as in a poll loop (ssh, socat). weft sets
/// it unless the environment already says otherwise: measured, it cuts the 64-byte round trip through the
/// three-hop chain and the CPU each round trip costs (docs/benchmarks.md, "Round trip through three hops").
/// </summary>
/// <remarks>
/// The runtime reads the variable once, when the socket engine is first used, so <see cref="Configure"/>
/// must run before any socket exists (first thing in <c>Main</c>). The price: code that blocks a thread
/// inside a socket continuation now blocks an event thread and every socket it serves. weft's I/O paths
/// (mux, noise, shs, relay copy, agents) are asynchronous throughout; the end-to-end tests hold a stalled
/// target and a stalled local client open while other connections through the same processes carry data
/// (docs/tunnels.md, "Socket completions"). <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> in the
/// environment switches back to the thread pool.
/// </remarks>
internal static class SocketCompletions
{
    /// <summary>The runtime's environment variable.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Chooses inline completions unless the environment already sets <see cref="Variable"/>. Call before any
    /// socket is created.
    /// </summary>
    public static void Configure()
    {
        if (!OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    /// <summary>
    /// What the runtime actually does: <c>inline</c> or <c>thread pool</c> (read back from the socket engine,
    /// so a variable set too late shows as <c>thread pool</c>); on Windows, <c>completion port</c>.
    /// </summary>
    public static string Mode
    {
        get
        {
            if (OperatingSystem.IsWindows())
            {
                return "completion port";
            }

            bool? inline = ReadEngineSetting();
            return inline switch
            {
                true => "inline",
                false => "thread pool",
                null => Environment.GetEnvironmentVariable(Variable) == "1" ? "inline (requested)" : "thread pool (requested)",
            };
        }
    }

    /// <summary>
    /// The socket engine's own flag (a private static of System.Net.Sockets, read by reflection); null when
    /// this runtime does not have it under that name.
    /// </summary>
    private static bool? ReadEngineSetting()
    {
        try
        {
            FieldInfo? field = typeof(Socket).Assembly.GetType("System.Net.Sockets.SocketAsyncEngine")
                ?.GetField("InlineSocketCompletionsEnabled", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static);
            return field?.GetValue(null) as bool?;
        }
        catch (Exception e) when (e is TargetInvocationException or TypeInitializationException or MemberAccessException)
        {
            return null;
        }
    }
}
