using System.Runtime.InteropServices;

namespace Weft.Cli.Hosting;

/// <summary>
/// Turns the first Ctrl-C (SIGINT) or SIGTERM into a graceful stop (<see cref="Stopping"/> is cancelled:
/// listeners close, sessions are GoAway'd, the process exits 0) and a second one into an immediate exit
/// (code 130). Replaces the runtime's default handling while it is alive.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    /// <summary>The exit code of a forced stop (128 + SIGINT, as shells report it).</summary>
    public const int ForcedExitCode = 130;

    private readonly CancellationTokenSource _stopping = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Action<string> _notice;
    private int _signals;

    public ShutdownSignal(Action<string> notice)
    {
        _notice = notice;
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
    }

    /// <summary>Cancelled on the first signal.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The name of the signal that asked to stop, or null.</summary>
    public string? Reason { get; private set; }

    /// <summary>Asks for a graceful stop as a signal would (used when a role fails and the rest must stop).</summary>
    public void RequestStop(string reason)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            Reason = reason;
            _stopping.Cancel();
        }
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _stopping.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        string name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
        if (Interlocked.Increment(ref _signals) == 1)
        {
            Reason = name;
            _notice($"{name}: stopping (closing listeners, sending GoAway); press Ctrl-C again to force");
            _stopping.Cancel();
        }
        else
        {
            _notice($"{name} again: forcing exit");
            Environment.Exit(ForcedExitCode);
        }
    }
}
