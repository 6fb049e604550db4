using System.Globalization;

namespace Weft.EndToEnd.Fixtures;

/// <summary>Reads a process's memory from /proc (Linux).</summary>
public static class ProcessMemory
{
    /// <summary>Resident set size in bytes (VmRSS of /proc/PID/status).</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>Bytes resident in RAM.</returns>
    public static long ResidentBytes(int pid) => ReadKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>Resident set size without file-backed pages (RssAnon): the heap, stacks and buffers the process made.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>Bytes.</returns>
    public static long AnonymousBytes(int pid) => ReadKilobytes(pid, "RssAnon:") * 1024;

    private static long ReadKilobytes(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field} line");
    }
}
