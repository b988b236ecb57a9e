using System.Globalization;

namespace EFCore.Lsm.DbBench.Measurement;

/// <summary>
/// Samples, while a workload runs, where the process's resident memory is: anonymous pages (RssAnon: the GC heap, native
/// buffers) against file-backed pages (RssFile: mapped files and the runtime's own images, which the kernel can drop and
/// read again), and the GC's own view (heap size after the last GC, bytes committed). The peaks of each are reported, so a
/// growing peak RSS can be told apart into what the process holds and what the kernel may reclaim.
/// </summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peakAnonymous;
    private long _peakFile;
    private long _peakHeap;
    private long _peakCommitted;
    private string _peakGenerations = "";

    public MemorySampler(TimeSpan interval)
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                Sample();
                Thread.Sleep(interval);
            }
        })
        { IsBackground = true, Name = "memory sampler" };
        _thread.Start();
    }

    private void Sample()
    {
        var (anonymous, file) = ProcessStats.ReadRssSplit();
        var info = GC.GetGCMemoryInfo();
        _peakAnonymous = Math.Max(_peakAnonymous, anonymous ?? 0);
        _peakFile = Math.Max(_peakFile, file ?? 0);
        if (info.HeapSizeBytes > _peakHeap)
        {
            // Where the peak heap was, as the GC that measured it left it: a generation holding dead objects is garbage
            // promoted before it died (or large-object garbage), not data the process holds.
            var generations = info.GenerationInfo.ToArray();
            string[] names = ["gen0", "gen1", "gen2", "LOH", "POH"];
            _peakGenerations = string.Join(
                " ",
                Enumerable.Range(0, Math.Min(names.Length, generations.Length)).Select(i => string.Create(
                    CultureInfo.InvariantCulture, $"{names[i]} {Mib(generations[i].SizeAfterBytes):F0}")));
        }

        _peakHeap = Math.Max(_peakHeap, info.HeapSizeBytes);
        _peakCommitted = Math.Max(_peakCommitted, info.TotalCommittedBytes);
    }

    /// <summary>The peaks as a note: "peak RssAnon 85 MiB, RssFile 60 MiB, GC heap 40 MiB, GC committed 70 MiB".</summary>
    public string Describe() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"peak RssAnon {Mib(_peakAnonymous):F0} MiB, RssFile {Mib(_peakFile):F0} MiB, GC heap {Mib(_peakHeap):F0} MiB "
            + $"({_peakGenerations} MiB), GC committed {Mib(_peakCommitted):F0} MiB");

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Sample();
    }

    private static double Mib(long bytes) => bytes / (1024.0 * 1024.0);
}
