using System.Diagnostics;
using System.Globalization;

namespace EFCore.Lsm.DbBench.Measurement;

/// <summary>
/// Process-level counters read around each workload: bytes this process sent to storage (/proc/self/io write_bytes,
/// which includes the engines' background threads) and peak resident memory (VmHWM), which Linux lets a process
/// reset by writing 5 to /proc/self/clear_refs so that each workload gets its own peak.
/// </summary>
internal static class ProcessStats
{
    /// <summary>write_bytes from /proc/self/io, or null where the kernel does not provide it.</summary>
    public static long? ReadWriteBytes() => ReadProcField("/proc/self/io", "write_bytes:", multiplier: 1);

    /// <summary>Resets the peak RSS to the current RSS; false where unsupported (then peaks are per process).</summary>
    public static bool TryResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Peak resident set size in bytes (VmHWM; the runtime's peak working set elsewhere).</summary>
    public static long ReadPeakRss()
        => ReadProcField("/proc/self/status", "VmHWM:", multiplier: 1024) ?? Process.GetCurrentProcess().PeakWorkingSet64;

    /// <summary>Total bytes of the files under <paramref name="directory"/> (0 when it does not exist).</summary>
    public static long DirectorySize(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        long total = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            try
            {
                total += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Deleted by background compaction between listing and stat.
            }
        }

        return total;
    }

    private static long? ReadProcField(string path, string field, long multiplier)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var text = line[field.Length..].Trim();
                    var space = text.IndexOf(' ', StringComparison.Ordinal);
                    if (space >= 0)
                    {
                        text = text[..space];
                    }

                    return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * multiplier : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }
}
