using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EFCore.Lsm.DbBench.Measurement;

/// <summary>
/// Process-level counters read around each workload: bytes this process sent to storage (/proc/self/io write_bytes,
/// which includes the engines' background threads) and peak resident memory (VmHWM), which Linux lets a process
/// reset by writing 5 to /proc/self/clear_refs so that each workload gets its own peak; CPU time of the whole process
/// (user + system, every thread, from getrusage) and the machine's load average.
/// </summary>
internal static partial class ProcessStats
{
    /// <summary>
    /// User + system CPU seconds this process has used so far, all threads included (getrusage RUSAGE_SELF, microsecond
    /// resolution), or the runtime's figure where getrusage is unavailable.
    /// </summary>
    public static double CpuSeconds()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            Span<long> usage = stackalloc long[18];
            if (getrusage(0, ref MemoryMarshal.GetReference(usage)) == 0)
            {
                // struct rusage starts with ru_utime and ru_stime, each a struct timeval { long tv_sec; long tv_usec; }.
                return usage[0] + (usage[1] / 1e6) + usage[2] + (usage[3] / 1e6);
            }
        }

        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }

    /// <summary>The 1-minute load average from /proc/loadavg, or null where the kernel does not provide it.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ', 2)[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

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

    /// <summary>
    /// The current resident set split into anonymous memory (heaps, caches, memtables) and file-backed pages (mapped
    /// files, such as tables read through mmap, whose pages the page cache holds anyway); nulls where unavailable.
    /// </summary>
    public static (long? Anonymous, long? File) ReadRssSplit()
        => (ReadProcField("/proc/self/status", "RssAnon:", multiplier: 1024), ReadProcField("/proc/self/status", "RssFile:", multiplier: 1024));

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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, ref long usage);
}
