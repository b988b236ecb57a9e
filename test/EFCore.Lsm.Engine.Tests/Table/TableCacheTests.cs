using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

public class TableCacheTests
{
    /// <summary>Wraps a file system to count open random-access handles and fail reads through closed ones.</summary>
    private sealed class TrackingFileSystem(MemoryFileSystem inner) : IFileSystem
    {
        private int _open;
        private int _opens;

        public MemoryFileSystem Inner => inner;

        public int OpenHandles => Volatile.Read(ref _open);

        public int Opens => Volatile.Read(ref _opens);

        public IWritableFile CreateFile(string path) => inner.CreateFile(path);

        public IRandomAccessFile OpenRandomAccess(string path)
        {
            var file = inner.OpenRandomAccess(path);
            Interlocked.Increment(ref _open);
            Interlocked.Increment(ref _opens);
            return new TrackedFile(this, file);
        }

        public bool FileExists(string path) => inner.FileExists(path);

        public bool DirectoryExists(string path) => inner.DirectoryExists(path);

        public void CreateDirectory(string path) => inner.CreateDirectory(path);

        public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

        public void DeleteFile(string path) => inner.DeleteFile(path);

        public void DeleteDirectory(string path) => inner.DeleteDirectory(path);

        public void RenameFile(string source, string destination) => inner.RenameFile(source, destination);

        public void SyncDirectory(string directory) => inner.SyncDirectory(directory);

        public long GetFileSize(string path) => inner.GetFileSize(path);

        public void SyncFile(string path) => inner.SyncFile(path);

        public IDisposable LockFile(string path) => inner.LockFile(path);

        private sealed class TrackedFile(TrackingFileSystem owner, IRandomAccessFile file) : IRandomAccessFile
        {
            private int _disposed;

            public long Length => file.Length;

            public int Read(long offset, Span<byte> destination)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                return file.Read(offset, destination);
            }

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._open);
                    file.Dispose();
                }
                else
                {
                    throw new InvalidOperationException("file closed twice");
                }
            }
        }
    }

    private static (TrackingFileSystem Fs, Dictionary<ulong, (long Size, List<ModelEntry> Entries)> Tables) CreateTables(int count)
    {
        var mem = TableTestUtil.NewFileSystem();
        var fs = new TrackingFileSystem(mem);
        var tables = new Dictionary<ulong, (long, List<ModelEntry>)>();
        for (ulong n = 1; n <= (ulong)count; n++)
        {
            var entries = Enumerable.Range(0, 200)
                .Select(i => new ModelEntry(TableTestUtil.Key($"t{n:D2}-k{i:D4}", n * 1000), BitConverter.GetBytes((n * 1000) + (ulong)i)))
                .ToList();
            var props = TableTestUtil.Build(fs, TableTestUtil.TablePath(n), entries, new TableOptions { BlockSize = 512 });
            tables[n] = (props.FileSize, entries);
        }

        return (fs, tables);
    }

    [Fact]
    public void Keeps_at_most_max_open_files_and_closes_evicted_readers()
    {
        var (fs, tables) = CreateTables(8);
        using (var cache = new TableCache(fs, TableTestUtil.Dir, 3, new BlockCache(1 << 20), null))
        {
            foreach (var (n, (size, entries)) in tables)
            {
                Assert.True(cache.TryGet(n, size, entries[5].UserKey, ulong.MaxValue, out var kind, out var value));
                Assert.Equal(ValueKind.Put, kind);
                Assert.True(value.SequenceEqual(entries[5].Value));
                Assert.True(cache.Count <= 3);
                Assert.Equal(cache.Count, fs.OpenHandles);
            }

            Assert.Equal(8, fs.Opens);

            // The three most recent are cached: no reopen.
            for (ulong n = 6; n <= 8; n++)
            {
                using var lease = cache.Acquire(n, tables[n].Size);
                Assert.Equal(n, lease.Reader.FileNumber);
            }

            Assert.Equal(8, fs.Opens);
            using (cache.Acquire(1, tables[1].Size))
            {
                Assert.Equal(9, fs.Opens);
            }
        }

        Assert.Equal(0, fs.OpenHandles);
    }

    [Fact]
    public void Evicted_reader_stays_usable_while_leased()
    {
        var (fs, tables) = CreateTables(6);
        using var cache = new TableCache(fs, TableTestUtil.Dir, 2, new BlockCache(0), null);
        var it = cache.NewIterator(1, tables[1].Size, fillCache: false);
        it.SeekToFirst();
        Assert.True(it.Valid);
        var lease = cache.Acquire(2, tables[2].Size);

        // Push tables 1 and 2 out of the cache.
        for (ulong n = 3; n <= 6; n++)
        {
            Assert.True(cache.TryGet(n, tables[n].Size, tables[n].Entries[0].UserKey, ulong.MaxValue, out _, out _));
        }

        Assert.Equal(2, cache.Count);
        Assert.Equal(4, fs.OpenHandles); // 2 cached + 2 leased

        // Both still read from their files (no block cache: every block comes from the file).
        TableTestUtil.AssertSameEntries(tables[1].Entries, TableTestUtil.ReadForward(it), "table 1 after eviction");
        foreach (var e in tables[2].Entries)
        {
            Assert.True(lease.Reader.TryGet(e.UserKey, ulong.MaxValue, out _, out var value));
            Assert.True(value.SequenceEqual(e.Value));
        }

        it.Dispose();
        it.Dispose(); // idempotent
        Assert.Equal(3, fs.OpenHandles);
        lease.Dispose();
        Assert.Equal(2, fs.OpenHandles);
    }

    [Fact]
    public void Evict_closes_after_the_last_lease_and_drops_cached_blocks()
    {
        var (fs, tables) = CreateTables(2);
        var blockCache = new BlockCache(1 << 20);
        using var cache = new TableCache(fs, TableTestUtil.Dir, 10, blockCache, null);
        var lease = cache.Acquire(1, tables[1].Size);
        foreach (var e in tables[1].Entries)
        {
            Assert.True(lease.Reader.TryGet(e.UserKey, ulong.MaxValue, out _, out _));
        }

        Assert.True(blockCache.Count > 0);
        cache.Evict(1);
        Assert.Equal(0, blockCache.Count);
        Assert.Equal(0, cache.Count);
        Assert.Equal(1, fs.OpenHandles);
        Assert.True(lease.Reader.TryGet(tables[1].Entries[0].UserKey, ulong.MaxValue, out _, out _));
        lease.Dispose();
        Assert.Equal(0, fs.OpenHandles);

        // The next acquire opens it again.
        using (var again = cache.Acquire(1, tables[1].Size))
        {
            Assert.Equal(1, fs.OpenHandles);
            Assert.Equal(2, fs.Opens);
        }

        cache.Evict(99); // unknown: no-op
    }

    [Fact]
    public void Acquiring_a_cached_reader_allocates_nothing()
    {
        var (fs, tables) = CreateTables(3);
        using var cache = new TableCache(fs, TableTestUtil.Dir, 10, new BlockCache(1 << 20), new TableReadStatistics());
        var key = tables[2].Entries[17].UserKey;
        for (var round = 0; round < 2; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                for (ulong n = 1; n <= 3; n++)
                {
                    using var lease = cache.Acquire(n, tables[n].Size);
                }

                cache.TryGet(2, tables[2].Size, key, ulong.MaxValue, out _, out _);
            }

            if (round == 1)
            {
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }
    }

    [Fact]
    public void Size_mismatch_corruption_and_missing_files_are_reported_and_not_cached()
    {
        var (fs, tables) = CreateTables(2);
        using var cache = new TableCache(fs, TableTestUtil.Dir, 10, null, null);
        var ex = Assert.Throws<LsmCorruptionException>(() => cache.Acquire(1, tables[1].Size + 1));
        Assert.Equal(TableTestUtil.TablePath(1), ex.FileName);
        Assert.Equal(0, fs.OpenHandles);

        var path = TableTestUtil.TablePath(2);
        var bytes = fs.Inner.ReadAllBytes(path);
        bytes[10] ^= 1;
        fs.Inner.WriteAllBytes(path, bytes);
        using (var lease = cache.Acquire(2, tables[2].Size))
        {
            ex = Assert.Throws<LsmCorruptionException>(() => TableTestUtil.ReadForward(lease.Reader.NewIterator()));
            Assert.Equal(path, ex.FileName);
        }

        Assert.ThrowsAny<LsmException>(() => cache.Acquire(42, 100));
        Assert.Equal(1, cache.Count);
        Assert.Equal(1, fs.OpenHandles);

        // A negative size skips the check.
        using (cache.Acquire(1, -1))
        {
        }
    }

    [Fact]
    public void Concurrent_lookups_with_a_tiny_cache_stay_correct_and_release_everything()
    {
        var (fs, tables) = CreateTables(10);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using (var cache = new TableCache(fs, TableTestUtil.Dir, 2, new BlockCache(256 * 1024), new TableReadStatistics()))
        {
            Parallel.For(0, 4, t =>
            {
                var rng = new Random(t);
                for (var i = 0; i < 1500; i++)
                {
                    var n = (ulong)rng.Next(1, 11);
                    var (size, entries) = tables[n];
                    if (i % 50 == 0)
                    {
                        using var it = cache.NewIterator(n, size, fillCache: rng.Next(2) == 0);
                        if (TableTestUtil.ReadForward(it).Count != entries.Count)
                        {
                            failures.Add($"thread {t}: scan of {n}");
                        }

                        continue;
                    }

                    var e = entries[rng.Next(entries.Count)];
                    if (!cache.TryGet(n, size, e.UserKey, ulong.MaxValue, out _, out var value) || !value.SequenceEqual(e.Value))
                    {
                        failures.Add($"thread {t}: get {e} in {n}");
                    }
                }
            });
            Assert.True(cache.Count <= 2);
        }

        Assert.Empty(failures);
        Assert.Equal(0, fs.OpenHandles);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_level_iterator_reuses_one_table_iterator_across_files_and_leaks_no_lease(int seed)
    {
        var (fs, tables) = CreateTables(6);
        var all = tables.OrderBy(t => t.Key).SelectMany(t => t.Value.Entries).ToList();
        var files = tables.OrderBy(t => t.Key).ToList();
        var rng = new Random(seed);
        var made = new HashSet<IInternalIterator>(ReferenceEqualityComparer.Instance);
        using (var cache = new TableCache(fs, TableTestUtil.Dir, 2, new BlockCache(4096), null))
        {
            using (var level = new LevelIterator(
                files.Select(f => f.Value.Entries[0].Key).ToList(),
                files.Select(f => f.Value.Entries[^1].Key).ToList(),
                (i, previous) =>
                {
                    var it = cache.NewIterator(files[i].Key, files[i].Value.Size, fillCache: true, previous);
                    made.Add(it);
                    return it;
                }))
            {
                var position = -1;
                for (var step = 0; step < 3000; step++)
                {
                    switch (rng.Next(4))
                    {
                        case 0:
                            position = rng.Next(all.Count);
                            level.Seek(all[position].Key);
                            break;
                        case 1 when position >= 0 && position + 1 < all.Count:
                            level.Next();
                            position++;
                            break;
                        case 2 when position > 0:
                            level.Prev();
                            position--;
                            break;
                        default:
                            if (rng.Next(2) == 0)
                            {
                                level.SeekToFirst();
                                position = 0;
                            }
                            else
                            {
                                level.SeekToLast();
                                position = all.Count - 1;
                            }

                            break;
                    }

                    if (position >= 0)
                    {
                        Assert.True(level.Valid, $"seed {seed} step {step}");
                        Assert.Equal(all[position].Key, level.Key.ToArray());
                        Assert.Equal(all[position].Value, level.Value.ToArray());
                    }
                }
            }

            // Every file switch re-targeted the one table iterator instead of making another.
            Assert.Single(made);
        }

        // Disposing the level iterator released the last lease, and the cache the rest: every file is closed.
        Assert.Equal(0, fs.OpenHandles);
    }
}
