using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Wal;

/// <summary>Synced writes make the WAL durable with fdatasync (as LevelDB and RocksDB do); the manifest keeps full fsyncs.</summary>
public sealed class WalSyncTests
{
    [Fact]
    public void Synced_writes_fdatasync_the_wal_and_the_manifest_keeps_full_fsyncs()
    {
        var fs = new RecordingFileSystem(new MemoryFileSystem());
        using (var db = LsmDatabase.Open("/db", new LsmOptions { FileSystem = fs, WriteBufferSize = 64 << 10 }))
        {
            fs.Calls.Clear();
            db.Put("k"u8, "v"u8, new WriteOptions { Sync = true });
            Assert.Equal(["SyncData .log"], fs.Calls);

            // A memtable switch makes the old WAL durable the same way; the flush's manifest edit is synced in full.
            fs.Calls.Clear();
            db.Flush();
            Assert.Contains("SyncData .log", fs.Calls);
            Assert.DoesNotContain("Sync .log", fs.Calls);
            Assert.Contains(fs.Calls, c => c.StartsWith("Sync MANIFEST", StringComparison.Ordinal));
            Assert.DoesNotContain(fs.Calls, c => c.StartsWith("SyncData MANIFEST", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Local_files_sync_their_data()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lsm-walsync-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "000001.log");
            using (var file = LocalFileSystem.Instance.CreateFile(path))
            {
                file.Append("abc"u8);
                file.SyncData();
                file.Append("def"u8);
                file.SyncData();
            }

            Assert.Equal("abcdef"u8.ToArray(), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Local_files_written_past_the_writeback_chunk_read_back_exactly()
    {
        // Writeback is started every MiB handed to the OS, from small flushed appends and from large unbuffered ones;
        // a sync in between moves where the next chunk starts. None of it may change what the file holds.
        var dir = Path.Combine(Path.GetTempPath(), "lsm-writeback-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "000001.log");
            var expected = new MemoryStream();
            var random = new Random(7);
            using (var file = LocalFileSystem.Instance.CreateFile(path))
            {
                for (var i = 0; i < 40_000; i++)
                {
                    var record = new byte[random.Next(1, 200)];
                    random.NextBytes(record);
                    file.Append(record);
                    expected.Write(record);
                    file.Flush();
                    if (i % 10_000 == 9_999)
                    {
                        var large = new byte[(1 << 20) + random.Next(1, 100_000)];
                        random.NextBytes(large);
                        file.Append(large);
                        expected.Write(large);
                    }

                    if (i == 20_000)
                    {
                        file.SyncData();
                    }
                }

                file.SyncData();
                Assert.Equal(expected.Length, file.Length);
            }

            Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Memtable_switches_and_the_time_syncing_their_wals_are_counted()
    {
        using var db = LsmDatabase.Open("/db", new LsmOptions { FileSystem = new MemoryFileSystem() });
        Assert.Contains("0 memtable switches", db.GetProperty(LsmDatabase.Properties.Stats), StringComparison.Ordinal);
        db.Put("k"u8, "v"u8);
        db.Flush();
        db.Put("k"u8, "w"u8);
        db.Flush();
        Assert.Contains("2 memtable switches", db.GetProperty(LsmDatabase.Properties.Stats), StringComparison.Ordinal);
    }

    /// <summary>Records every Sync and SyncData with the kind of file (extension, or MANIFEST).</summary>
    private sealed class RecordingFileSystem(IFileSystem inner) : IFileSystem
    {
        public List<string> Calls { get; } = [];

        public IWritableFile CreateFile(string path) => new File(this, inner.CreateFile(path), Kind(path));

        public IRandomAccessFile OpenRandomAccess(string path) => inner.OpenRandomAccess(path);

        public bool FileExists(string path) => inner.FileExists(path);

        public bool DirectoryExists(string path) => inner.DirectoryExists(path);

        public void CreateDirectory(string path) => inner.CreateDirectory(path);

        public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

        public void DeleteFile(string path) => inner.DeleteFile(path);

        public void DeleteDirectory(string path) => inner.DeleteDirectory(path);

        public void RenameFile(string source, string destination) => inner.RenameFile(source, destination);

        public void SyncDirectory(string directory) => inner.SyncDirectory(directory);

        public void SyncFile(string path) => inner.SyncFile(path);

        public long GetFileSize(string path) => inner.GetFileSize(path);

        public IDisposable LockFile(string path) => inner.LockFile(path);

        private static string Kind(string path)
        {
            var name = Path.GetFileName(path);
            return name.StartsWith("MANIFEST", StringComparison.Ordinal) ? "MANIFEST" : Path.GetExtension(name);
        }

        private sealed class File(RecordingFileSystem owner, IWritableFile file, string kind) : IWritableFile
        {
            public long Length => file.Length;

            public void Append(ReadOnlySpan<byte> data) => file.Append(data);

            public void Flush() => file.Flush();

            public void Sync()
            {
                lock (owner.Calls)
                {
                    owner.Calls.Add("Sync " + kind);
                }

                file.Sync();
            }

            public void SyncData()
            {
                lock (owner.Calls)
                {
                    owner.Calls.Add("SyncData " + kind);
                }

                file.SyncData();
            }

            public void Dispose() => file.Dispose();
        }
    }
}
