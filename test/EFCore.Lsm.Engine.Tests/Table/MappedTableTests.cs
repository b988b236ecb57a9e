using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Engine.Tests.TestUtilities;

namespace EFCore.Lsm.Engine.Tests.Table;

/// <summary>
/// Tables read through a memory mapping use their uncompressed data blocks in place: every load is verified on the
/// mapped bytes, nothing enters the block cache, and the mapping outlives the reader while a block over it is in use.
/// </summary>
public class MappedTableTests
{
    private static (TempDirectory Dir, string Path, List<ModelEntry> Entries) BuildTable(int seed, TableOptions? options = null)
    {
        var dir = new TempDirectory("mapped");
        var path = FileNames.TableFile(dir.Path, 7);
        var entries = TableTestUtil.RandomEntries(new Random(seed), 2000, 2, TableTestUtil.PrefixedKey, maxValueLength: 100);
        TableTestUtil.Build(LocalFileSystem.Instance, path, entries, options);
        return (dir, path, entries);
    }

    private static TableReader OpenMapped(string path, BlockCache? cache, out IRandomAccessFile file)
    {
        file = LocalFileSystem.Instance.OpenMappedRandomAccess(path);
        var reader = TableReader.Open(file, path, 7, cache);
        Assert.True(reader.IsMapped);
        return reader;
    }

    [Fact]
    public void Prepared_seeks_land_where_plain_seeks_do_whatever_follows_the_announcement()
    {
        // A merger announces each seek (PrepareSeek) before making it; the announced key may sit in the block already
        // loaded or another one, and the iterator must not be valid in between. A Seek to another key, or a
        // SeekToFirst/SeekToLast, after an announcement must ignore it.
        var (dir, path, entries) = BuildTable(3);
        using var tempDir = dir;
        var sorted = entries.OrderBy(e => e.Key, InternalKeyComparer.Instance).ToList();
        using var reader = OpenMapped(path, null, out _);
        using var it = (TableIterator)reader.NewIterator();
        var random = new Random(3);
        for (var step = 0; step < 3000; step++)
        {
            var target = sorted[random.Next(sorted.Count)].Key;
            var announced = random.Next(4) == 0 ? sorted[random.Next(sorted.Count)].Key : target;
            var near = random.Next(3) == 0 && it.Valid;
            if (near)
            {
                // Often in the block already loaded.
                target = it.Key.ToArray();
                announced = target;
            }

            it.PrepareSeek(announced);
            Assert.False(it.Valid);
            switch (random.Next(8))
            {
                case 0:
                    it.SeekToFirst();
                    Assert.Equal(sorted[0].Key, it.Key.ToArray());
                    continue;
                case 1:
                    it.SeekToLast();
                    Assert.Equal(sorted[^1].Key, it.Key.ToArray());
                    continue;
            }

            it.Seek(target);
            var expected = TableTestUtil.LowerBound(sorted, target);
            Assert.True(it.Valid, $"step {step}");
            Assert.Equal(sorted[expected].Key, it.Key.ToArray());
            Assert.Equal(sorted[expected].Value, it.Value.ToArray());
            for (var n = 1; n <= 3 && expected + n < sorted.Count; n++)
            {
                it.Next();
                Assert.Equal(sorted[expected + n].Key, it.Key.ToArray());
            }
        }
    }

    [Fact]
    public void Reads_of_a_mapped_table_equal_the_model_and_leave_the_block_cache_empty()
    {
        var (dir, path, entries) = BuildTable(1);
        using var tempDir = dir;
        var cache = new BlockCache(1 << 20);
        using var reader = OpenMapped(path, cache, out _);

        using (var it = reader.NewIterator())
        {
            TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
            TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it), "backward");
            var rng = new Random(2);
            for (var i = 0; i < 300; i++)
            {
                var target = entries[rng.Next(entries.Count)].Key;
                it.Seek(target);
                Assert.True(it.Valid);
                Assert.Equal(target, it.Key.ToArray());
            }
        }

        foreach (var e in entries)
        {
            var userKey = InternalKey.UserKey(e.Key).ToArray();
            var expected = TableTestUtil.ModelGet(entries, userKey, ulong.MaxValue);
            Assert.True(reader.TryGet(userKey, ulong.MaxValue, out var kind, out var value, out var pin));
            try
            {
                Assert.Equal(InternalKey.Kind(expected!.Key), kind);
                if (kind != ValueKind.Delete)
                {
                    Assert.Equal(expected.Value, value.ToArray());
                }
            }
            finally
            {
                pin?.Release();
            }
        }

        Assert.Equal(0, cache.Usage);
    }

    [Fact]
    public void Damage_to_a_mapped_block_after_it_was_read_is_detected_by_every_later_read()
    {
        var (dir, path, entries) = BuildTable(3);
        using var tempDir = dir;
        using var reader = OpenMapped(path, new BlockCache(1 << 20), out _);
        var firstUserKey = InternalKey.UserKey(entries[0].Key).ToArray();
        Assert.True(reader.TryGet(firstUserKey, ulong.MaxValue, out _, out _, out var pin));
        pin?.Release();

        // The mapping is shared with the page cache: a write to the file shows through it.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.Position = 10;
            var b = stream.ReadByte();
            stream.Position = 10;
            stream.WriteByte((byte)(b ^ 0x5a));
        }

        void AssertCorrupt(Action read)
        {
            var e = Assert.Throws<LsmCorruptionException>(read);
            Assert.Equal(path, e.FileName);
            Assert.Equal(0, e.Offset);
        }

        AssertCorrupt(() => reader.TryGet(firstUserKey, ulong.MaxValue, out _, out _, out _));
        AssertCorrupt(() =>
        {
            using var it = reader.NewIterator();
            it.SeekToFirst();
        });
        AssertCorrupt(() =>
        {
            using var it = reader.NewIterator();
            it.Seek(entries[1].Key);
        });
    }

    [Fact]
    public void A_value_from_a_mapped_block_stays_readable_after_the_reader_closes_until_its_pin_is_released()
    {
        var (dir, path, entries) = BuildTable(4);
        using var tempDir = dir;
        var reader = OpenMapped(path, cache: null, out var file);
        var entry = entries.First(e => InternalKey.Kind(e.Key) == ValueKind.Put && TableTestUtil.ModelGet(entries, InternalKey.UserKey(e.Key), ulong.MaxValue) == e);
        Assert.True(reader.TryGet(InternalKey.UserKey(entry.Key), ulong.MaxValue, out _, out var value, out var pin));
        Assert.NotNull(pin);

        reader.Dispose();
        unsafe
        {
            // Still mapped: the pin holds the mapping.
            Assert.True(((IMappedFile)file).Start != null);
        }

        Assert.Equal(entry.Value, value.ToArray());
        pin.Release();
        unsafe
        {
            Assert.Throws<ObjectDisposedException>(() => ((IMappedFile)file).Start != null);
        }
    }

    [Fact]
    public void A_scan_open_across_eviction_and_deletion_of_its_table_reads_every_entry()
    {
        using var dir = new TempDirectory("mapped-evict");
        var entries = TableTestUtil.RandomEntries(new Random(5), 3000, 2, TableTestUtil.PrefixedKey, maxValueLength: 100);
        var path = FileNames.TableFile(dir.Path, 9);
        TableTestUtil.Build(LocalFileSystem.Instance, path, entries);
        using var tables = new TableCache(LocalFileSystem.Instance, dir.Path, maxOpenFiles: 4, new BlockCache(1 << 20), stats: null);
        using var it = tables.NewIterator(9, new FileInfo(path).Length, fillCache: true);
        it.SeekToFirst();
        var read = new List<ModelEntry> { new(it.Key.ToArray(), it.Value.ToArray()) };

        // What a compaction does to the tables it replaces.
        tables.Evict(9);
        File.Delete(path);

        for (it.Next(); it.Valid; it.Next())
        {
            read.Add(new ModelEntry(it.Key.ToArray(), it.Value.ToArray()));
        }

        TableTestUtil.AssertSameEntries(entries, read, "scan across eviction");
    }

    [Fact]
    public void A_compressed_mapped_table_reads_equal_the_model()
    {
        var (dir, path, entries) = BuildTable(6, new TableOptions { Compression = TableCompression.Lz4 });
        using var tempDir = dir;
        var cache = new BlockCache(1 << 20);
        using var reader = OpenMapped(path, cache, out _);
        using var it = reader.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it), "forward");
    }
}
