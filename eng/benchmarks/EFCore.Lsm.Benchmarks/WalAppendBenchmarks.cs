using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// Appending one WAL record (fragmenting at 32 KiB blocks, CRC32C, buffered file write; no fsync) of the size of a
/// one-entry batch (about 130 bytes) and of a larger batch.
/// </summary>
[MemoryDiagnoser]
public class WalAppendBenchmarks
{
    private const int RecordsPerInvoke = 1_000;

    // The file is started over past this size so the benchmark does not fill the disk.
    private const long MaxFileBytes = 256L << 20;

    private string _path = "";
    private byte[] _record = [];
    private IWritableFile? _file;
    private LogWriter? _writer;

    [Params(130, 4096)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "efcore-lsm-microbench-wal-" + Guid.NewGuid().ToString("N") + ".log");
        _record = new byte[RecordSize];
        new Random(3).NextBytes(_record);
        StartFile();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer?.Dispose();
        File.Delete(_path);
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public long AddRecord()
    {
        if (_writer!.Length > MaxFileBytes)
        {
            _writer.Dispose();
            StartFile();
        }

        for (var i = 0; i < RecordsPerInvoke; i++)
        {
            _writer!.AddRecord(_record);
        }

        _writer!.Flush();
        return _writer.Length;
    }

    private void StartFile()
    {
        _file = LocalFileSystem.Instance.CreateFile(_path);
        _writer = new LogWriter(_file);
    }
}
