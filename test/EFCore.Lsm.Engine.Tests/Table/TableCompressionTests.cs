using System.Buffers.Binary;
using System.Text;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;
using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Tests.Table;

/// <summary>Block compression (docs/table_format.md, "Block compression"): round trips, damage, and version 1 tables beside version 2.</summary>
public sealed class TableCompressionTests
{
    private const ulong Number = 9;

    /// <summary>Entries whose values repeat text, so every block compresses well.</summary>
    private static List<ModelEntry> CompressibleEntries(int count)
    {
        var entries = new List<ModelEntry>();
        for (var i = 0; i < count; i++)
        {
            var value = Encoding.ASCII.GetBytes($"customer {i % 50} lives in city {i % 7}; balance {i % 1000}.00; " + new string('z', i % 40));
            entries.Add(new ModelEntry(TableTestUtil.Key($"key{i:D6}", (ulong)(i + 1)), value));
        }

        return entries;
    }

    private static (MemoryFileSystem Fs, string Path, TableProperties Properties) Build(List<ModelEntry> entries, TableCompression compression)
    {
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(Number);
        var properties = TableTestUtil.Build(fs, path, entries, new TableOptions { Compression = compression });
        return (fs, path, properties);
    }

    [Theory]
    [InlineData(TableCompression.Lz4)]
    [InlineData(TableCompression.Zstd)]
    public void Compressed_tables_read_back_every_entry_and_are_smaller(TableCompression compression)
    {
        var entries = CompressibleEntries(3000);
        var (plainFs, plainPath, plain) = Build(entries, TableCompression.None);
        var (fs, path, properties) = Build(entries, compression);

        Assert.Equal(TableFormat.VersionUncompressed, plain.FormatVersion);
        Assert.Equal(TableFormat.VersionCompressed, properties.FormatVersion);
        Assert.Equal(compression, properties.Compression);
        Assert.Equal(properties.DataBlockCount, properties.CompressedDataBlockCount);
        Assert.True(properties.FileSize < plain.FileSize / 2, $"{compression}: {properties.FileSize} bytes vs {plain.FileSize} uncompressed");
        Assert.Equal(plainFs.ReadAllBytes(plainPath).Length, plain.FileSize);

        var cache = new BlockCache(1 << 20);
        using var reader = TableTestUtil.Open(fs, path, cache, number: Number);
        Assert.Equal(compression, reader.Properties.Compression);
        using (var it = reader.NewIterator())
        {
            TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it, entries.Count + 1), "forward");
            TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadBackward(it, entries.Count + 1), "backward");
        }

        // Twice: the second time from the cache, which holds the decompressed blocks.
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var e in entries)
            {
                Assert.True(reader.TryGet(e.UserKey, e.Sequence, out var kind, out var value), $"lost {e}");
                Assert.Equal(ValueKind.Put, kind);
                Assert.True(value.SequenceEqual(e.Value), $"wrong value for {e}");
            }
        }

        reader.VerifyAllBlocks();
    }

    [Fact]
    public void Blocks_that_do_not_shrink_are_stored_as_they_are_in_a_version_2_table()
    {
        var rng = new Random(5);
        var entries = Enumerable.Range(0, 500).Select(i =>
        {
            var value = new byte[80];
            rng.NextBytes(value);
            return new ModelEntry(TableTestUtil.Key($"k{i:D5}", (ulong)(i + 1)), value);
        }).ToList();
        var (fs, path, properties) = Build(entries, TableCompression.Lz4);

        Assert.Equal(TableFormat.VersionCompressed, properties.FormatVersion);
        Assert.Equal(0, properties.CompressedDataBlockCount);
        using var reader = TableTestUtil.Open(fs, path, number: Number);
        using var it = reader.NewIterator();
        TableTestUtil.AssertSameEntries(entries, TableTestUtil.ReadForward(it, entries.Count + 1), "forward");
    }

    [Theory]
    [InlineData(TableCompression.Lz4)]
    [InlineData(TableCompression.Zstd)]
    public void A_damaged_compressed_block_is_corruption_naming_the_file_and_the_block(TableCompression compression)
    {
        var entries = CompressibleEntries(2000);
        var (fs, path, _) = Build(entries, compression);
        var bytes = fs.ReadAllBytes(path);
        var (offset, size) = FirstDataBlock(fs, path);

        // One flipped byte inside the compressed payload: the checksum over the stored bytes catches it.
        var damaged = (byte[])bytes.Clone();
        damaged[offset + (size / 2)] ^= 0x40;
        fs.WriteAllBytes(path, damaged);
        var e = Assert.Throws<LsmCorruptionException>(() => ReadFirstKey(fs, path, entries));
        Assert.Equal(path, e.FileName);
        Assert.Equal(offset, e.Offset);
        Assert.Contains("checksum", e.Reason, StringComparison.Ordinal);

        // The same damage with a checksum forged to match: now the codec must refuse it, still as corruption of that block.
        var forged = (byte[])damaged.Clone();
        for (var i = offset + 1; i < offset + size; i++)
        {
            forged[i] = (byte)(bytes[i] ^ 0x5A);
        }

        ForgeChecksum(forged, offset, size);
        fs.WriteAllBytes(path, forged);
        e = Assert.Throws<LsmCorruptionException>(() => ReadFirstKey(fs, path, entries));
        Assert.Equal(path, e.FileName);
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void A_compressed_block_type_in_a_version_1_table_is_rejected()
    {
        var entries = CompressibleEntries(500);
        var (fs, path, properties) = Build(entries, TableCompression.None);
        Assert.Equal(TableFormat.VersionUncompressed, properties.FormatVersion);
        var bytes = fs.ReadAllBytes(path);
        var (offset, size) = FirstDataBlock(fs, path);
        bytes[offset + size] = TableFormat.BlockTypeLz4;
        ForgeChecksum(bytes, offset, size);
        fs.WriteAllBytes(path, bytes);

        var e = Assert.Throws<LsmCorruptionException>(() => ReadFirstKey(fs, path, entries));
        Assert.Equal(offset + size, e.Offset);
        Assert.Contains("unknown block type 1", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_flipped_byte_of_a_compressed_table_is_caught()
    {
        var entries = CompressibleEntries(300);
        var (fs, path, _) = Build(entries, TableCompression.Lz4);
        var bytes = fs.ReadAllBytes(path);
        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x01;
            fs.WriteAllBytes(path, damaged);
            try
            {
                using var reader = TableTestUtil.Open(fs, path, number: Number);
                reader.VerifyAllBlocks();
                Assert.Fail($"flipping byte {i} of {bytes.Length} went unnoticed");
            }
            catch (LsmCorruptionException)
            {
            }
        }
    }

    [Fact]
    public void A_database_reads_version_1_and_version_2_tables_side_by_side_and_compacts_them_into_zstd()
    {
        var fs = new MemoryFileSystem();
        const string path = "/db";
        var value = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("compressible value ", 8)));
        LsmOptions Options(TableCompression compression, TableCompression? bottommost = null) => new()
        {
            FileSystem = fs,
            Compression = compression,
            BottommostCompression = bottommost,
            WriteBufferSize = 64 << 10,
            DisableAutoCompactions = true,
        };

        using (var db = LsmDatabase.Open(path, Options(TableCompression.None)))
        {
            for (var i = 0; i < 2000; i += 2)
            {
                db.Put(Encoding.ASCII.GetBytes($"k{i:D5}"), value);
            }

            db.Flush();
        }

        using (var db = LsmDatabase.Open(path, Options(TableCompression.Lz4, TableCompression.Zstd)))
        {
            for (var i = 1; i < 2000; i += 2)
            {
                db.Put(Encoding.ASCII.GetBytes($"k{i:D5}"), value);
            }

            db.Flush();
            var versions = TableVersions(fs, path, db);
            Assert.Contains(TableFormat.VersionUncompressed, versions.Values);
            Assert.Contains(TableFormat.VersionCompressed, versions.Values);
            AssertAllPresent(db, value);

            db.CompactRange(null, null);
            AssertAllPresent(db, value);
            var compressions = TableCompressions(fs, path, db);
            Assert.NotEmpty(compressions);
            Assert.All(compressions, c => Assert.Equal(TableCompression.Zstd, c));
        }

        using (var db = LsmDatabase.Open(path, Options(TableCompression.None)))
        {
            AssertAllPresent(db, value);
        }
    }

    private static void AssertAllPresent(LsmDatabase db, byte[] value)
    {
        for (var i = 0; i < 2000; i++)
        {
            Assert.Equal(value, db.Get(Encoding.ASCII.GetBytes($"k{i:D5}")));
        }

        using var it = db.NewIterator();
        var count = 0;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            count++;
        }

        Assert.Equal(2000, count);
    }

    private static Dictionary<ulong, uint> TableVersions(MemoryFileSystem fs, string path, LsmDatabase db)
        => db.CurrentVersion.Files.SelectMany(l => l).ToDictionary(f => f.Number, f => OpenTable(fs, path, f.Number).Properties.FormatVersion);

    private static List<TableCompression> TableCompressions(MemoryFileSystem fs, string path, LsmDatabase db)
        => db.CurrentVersion.Files.SelectMany(l => l).Select(f => OpenTable(fs, path, f.Number).Properties.Compression).ToList();

    private static TableReader OpenTable(MemoryFileSystem fs, string path, ulong number)
    {
        var file = FileNames.TableFile(path, number);
        return TableReader.Open(fs.OpenRandomAccess(file), file, number, cache: null);
    }

    private static void ReadFirstKey(MemoryFileSystem fs, string path, List<ModelEntry> entries)
    {
        using var reader = TableTestUtil.Open(fs, path, number: Number);
        reader.TryGet(entries[0].UserKey, entries[0].Sequence, out _, out _);
    }

    /// <summary>The first data block's offset and stored size, from the index.</summary>
    private static (int Offset, int Size) FirstDataBlock(MemoryFileSystem fs, string path)
    {
        using var reader = TableTestUtil.Open(fs, path, number: Number);
        var index = new BlockCursor(reader.IndexBlock);
        try
        {
            index.SeekToFirst();
            var handle = reader.DecodeIndexValue(ref index);
            return ((int)handle.Offset, (int)handle.Size);
        }
        finally
        {
            index.ReleaseBuffer();
        }
    }

    private static void ForgeChecksum(byte[] bytes, int offset, int size)
    {
        var crc = TableFormat.BlockChecksum(bytes.AsSpan(offset, size), bytes[offset + size]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset + size + 1), crc);
    }
}
