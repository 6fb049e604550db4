using System.Globalization;

namespace Weft.TunnelBench;

/// <summary>
/// What a set of processes (and their descendants) did in a while, from /proc on Linux: CPU time and
/// run-queue wait of every thread (<c>/proc/PID/task/TID/schedstat</c>, nanoseconds) and context switches
/// (<c>voluntary_ctxt_switches</c>: the thread blocked and was woken later, i.e. a wake-up;
/// <c>nonvoluntary_ctxt_switches</c>: it was preempted). Divided by the round trips measured, these say
/// how many times per message a route's processes went to sleep and were woken, and how much CPU they
/// spent, which a loaded machine distorts far less than wall-clock latency. The difference of two samples
/// counts each thread alive at the end (a thread that started in between counts from zero); threads that
/// ended in between are lost (a thread-pool thread retiring, a forked socat child whose connection closed),
/// so the figures are lower bounds.
/// </summary>
internal readonly record struct ProcessActivity(long CpuNanoseconds, long WaitNanoseconds, long Voluntary, long Involuntary, int Threads, string? Name = null)
{
    /// <summary>Reads every thread of <paramref name="roots"/> and of every process descended from them, by thread id.</summary>
    public static Dictionary<int, ProcessActivity> Sample(IReadOnlyList<int> roots)
    {
        var threads = new Dictionary<int, ProcessActivity>();
        foreach (int pid in WithDescendants(roots))
        {
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task");
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            foreach (string task in tasks)
            {
                long voluntary = 0, involuntary = 0;
                string? name = null;
                try
                {
                    string[] schedstat = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    long cpu = long.Parse(schedstat[0], CultureInfo.InvariantCulture);
                    long wait = long.Parse(schedstat[1], CultureInfo.InvariantCulture);
                    foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("Name:", StringComparison.Ordinal))
                        {
                            name = line["Name:".Length..].Trim();
                        }
                        else if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            voluntary += long.Parse(line.AsSpan("voluntary_ctxt_switches:".Length).Trim(), CultureInfo.InvariantCulture);
                        }
                        else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            involuntary += long.Parse(line.AsSpan("nonvoluntary_ctxt_switches:".Length).Trim(), CultureInfo.InvariantCulture);
                        }
                    }

                    threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = new ProcessActivity(cpu, wait, voluntary, involuntary, 1, name);
                }
                catch (IOException)
                {
                    // The thread ended while being read.
                }
            }
        }

        return threads;
    }

    /// <summary>What the threads alive in <paramref name="after"/> did since <paramref name="before"/>.</summary>
    public static ProcessActivity Difference(Dictionary<int, ProcessActivity> after, Dictionary<int, ProcessActivity> before)
    {
        long cpu = 0, wait = 0, voluntary = 0, involuntary = 0;
        foreach ((int tid, ProcessActivity end) in after)
        {
            ProcessActivity start = before.GetValueOrDefault(tid);
            cpu += end.CpuNanoseconds - start.CpuNanoseconds;
            wait += end.WaitNanoseconds - start.WaitNanoseconds;
            voluntary += end.Voluntary - start.Voluntary;
            involuntary += end.Involuntary - start.Involuntary;
        }

        return new ProcessActivity(cpu, wait, voluntary, involuntary, after.Count);
    }

    /// <summary>
    /// As <see cref="Difference"/>, per thread name (<c>.NET Sockets</c> = the socket engine's event threads,
    /// <c>.NET TP Worker</c> = thread-pool workers, …): which threads were woken.
    /// </summary>
    public static SortedDictionary<string, ProcessActivity> ByThreadName(Dictionary<int, ProcessActivity> after, Dictionary<int, ProcessActivity> before)
    {
        var names = new SortedDictionary<string, ProcessActivity>(StringComparer.Ordinal);
        foreach ((int tid, ProcessActivity end) in after)
        {
            ProcessActivity start = before.GetValueOrDefault(tid);
            string name = end.Name ?? "?";
            ProcessActivity sum = names.GetValueOrDefault(name);
            names[name] = new ProcessActivity(
                sum.CpuNanoseconds + end.CpuNanoseconds - start.CpuNanoseconds,
                sum.WaitNanoseconds + end.WaitNanoseconds - start.WaitNanoseconds,
                sum.Voluntary + end.Voluntary - start.Voluntary,
                sum.Involuntary + end.Involuntary - start.Involuntary,
                sum.Threads + 1,
                name);
        }

        return names;
    }

    /// <summary>The roots and every process whose parent chain leads to one of them (e.g. sshd's per-connection children).</summary>
    private static HashSet<int> WithDescendants(IReadOnlyList<int> roots)
    {
        var all = new HashSet<int>(roots);
        var parents = new Dictionary<int, int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                // "pid (comm) state ppid ...": comm may hold spaces or parentheses, so parse after the last ')'.
                string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(rest[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }

        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach ((int pid, int parent) in parents)
            {
                if (all.Contains(parent) && all.Add(pid))
                {
                    grew = true;
                }
            }
        }

        return all;
    }
}
