using System.Buffers.Binary;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

public class TableCorruptionTests
{
    private static (MemoryFileSystem Fs, string Path, List<ModelEntry> Entries, byte[] Bytes) BuildTable(int seed, int userKeys, int blockSize)
    {
        var rng = new Random(seed);
        var entries = TableTestUtil.RandomEntries(rng, userKeys, 3, TableTestUtil.PrefixedKey, maxValueLength: 12);
        var fs = TableTestUtil.NewFileSystem();
        var path = TableTestUtil.TablePath(7);
        TableTestUtil.Build(fs, path, entries, new TableOptions { BlockSize = blockSize, RestartInterval = 4 });
        return (fs, path, entries, fs.ReadAllBytes(path));
    }

    /// <summary>
    /// Opens the table and reads all of it every way there is. With <paramref name="compare"/>, any result that differs
    /// from the model fails the test; without (checksums were forged), only the exception types are checked.
    /// </summary>
    private static void ReadEverything(IFileSystem fs, string path, List<ModelEntry> entries, bool compare, BlockCache? cache)
    {
        using var reader = TableTestUtil.Open(fs, path, cache, number: 7);
        var limit = (entries.Count * 2) + 10;
        using (var it = reader.NewIterator())
        {
            var forward = TableTestUtil.ReadForward(it, limit);
            var backward = TableTestUtil.ReadBackward(it, limit);
            if (compare)
            {
                TableTestUtil.AssertSameEntries(entries, forward, "forward");
                TableTestUtil.AssertSameEntries(entries, backward, "backward");
            }

            foreach (var e in entries.Take(40))
            {
                it.Seek(e.Key);
                if (compare)
                {
                    Assert.True(it.Valid && it.Key.SequenceEqual(e.Key));
                }
            }
        }

        foreach (var e in entries)
        {
            var found = reader.TryGet(e.UserKey, e.Sequence, out var kind, out var value);
            if (compare)
            {
                Assert.True(found, $"lost {e}");
                Assert.Equal(e.Kind, kind);
                Assert.True(value.SequenceEqual(e.Value), $"wrong value for {e}");
            }
        }

        var absent = reader.TryGet("absent-key"u8, ulong.MaxValue, out _, out _);
        if (compare)
        {
            Assert.False(absent);
        }

        reader.VerifyAllBlocks();
        reader.ApproximateOffsetOf(entries[entries.Count / 2].Key);
    }

    /// <summary>Runs <see cref="ReadEverything"/>; true when it raised corruption naming the table, false when it read fine.</summary>
    private static bool Detects(IFileSystem fs, string path, List<ModelEntry> entries, bool compare, string context)
    {
        try
        {
            ReadEverything(fs, path, entries, compare, new BlockCache(1 << 20));
            return false;
        }
        catch (LsmCorruptionException ex)
        {
            Assert.True(ex.FileName == path, $"{context}: corruption names '{ex.FileName}'");
            Assert.True(ex.Offset >= 0 && ex.Offset <= fs.GetFileSize(path), $"{context}: offset {ex.Offset}");
            return true;
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{context}: {ex.GetType().Name} instead of LsmCorruptionException: {ex}");
            return false;
        }
    }

    [Fact]
    public void Pristine_table_reads_back()
    {
        var (fs, path, entries, _) = BuildTable(1, 40, 128);
        Assert.False(Detects(fs, path, entries, compare: true, "pristine"));
    }

    [Fact]
    public void Every_single_byte_flip_of_a_small_table_is_detected()
    {
        var (fs, path, entries, original) = BuildTable(1, 40, 128);
        Assert.InRange(original.Length, 500, 4000);
        var rng = new Random(2);
        for (var offset = 0; offset < original.Length; offset++)
        {
            var damaged = (byte[])original.Clone();
            damaged[offset] ^= (byte)rng.Next(1, 256);
            fs.WriteAllBytes(path, damaged);

            // Every byte is covered by a block checksum or the footer checksum/magic.
            Assert.True(Detects(fs, path, entries, compare: true, $"flip at {offset}"), $"flip at {offset} went unnoticed");
        }
    }

    [Fact]
    public void Sampled_byte_flips_of_a_larger_table_are_detected()
    {
        var (fs, path, entries, original) = BuildTable(3, 1500, 4096);
        var rng = new Random(4);
        for (var i = 0; i < 300; i++)
        {
            var offset = i < 100 ? original.Length - 1 - rng.Next(Math.Min(original.Length, 600)) : rng.Next(original.Length);
            var damaged = (byte[])original.Clone();
            damaged[offset] ^= (byte)rng.Next(1, 256);
            fs.WriteAllBytes(path, damaged);
            Assert.True(Detects(fs, path, entries, compare: true, $"seed 4 flip at {offset}"), $"seed 4: flip at {offset} went unnoticed");
        }
    }

    [Fact]
    public void Every_truncation_is_detected()
    {
        var (fs, path, entries, original) = BuildTable(5, 40, 128);
        for (var length = 0; length < original.Length; length++)
        {
            fs.WriteAllBytes(path, original.AsSpan(0, length));
            Assert.True(Detects(fs, path, entries, compare: true, $"truncated to {length}"), $"truncation to {length} went unnoticed");
        }
    }

    [Fact]
    public void Appended_garbage_is_detected()
    {
        var (fs, path, entries, original) = BuildTable(6, 40, 128);
        for (var extra = 1; extra < 100; extra += 7)
        {
            fs.WriteAllBytes(path, [.. original, .. new byte[extra]]);
            Assert.True(Detects(fs, path, entries, compare: true, $"{extra} bytes appended"));
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    public void Damage_with_forged_checksums_raises_only_corruption(int seed)
    {
        // Rewrite the checksum after damaging a block, so the parsers themselves meet the damage. Wrong data cannot be
        // ruled out then, but any failure must be an LsmCorruptionException, never a crash or a hang.
        var (fs, path, entries, original) = BuildTable(seed, 150, 256);
        var blocks = BlockLayout(fs, path);
        var rng = new Random(seed);
        var detected = 0;
        for (var round = 0; round < 1200; round++)
        {
            var damaged = (byte[])original.Clone();
            if (round % 10 == 0)
            {
                // The footer: damage its handles/version and re-seal its checksum.
                var footer = damaged.AsSpan(damaged.Length - TableFormat.FooterSize);
                footer[rng.Next(TableFormat.FooterHandlesLength + 4)] ^= (byte)rng.Next(1, 256);
                BinaryPrimitives.WriteUInt32LittleEndian(footer[(TableFormat.FooterHandlesLength + 4)..],
                    EFCore.Lsm.Engine.Util.Crc32C.Mask(EFCore.Lsm.Engine.Util.Crc32C.Compute(footer[..(TableFormat.FooterHandlesLength + 4)])));
            }
            else
            {
                var handle = blocks[rng.Next(blocks.Count)];
                var contents = damaged.AsSpan((int)handle.Offset, (int)handle.Size);
                var flips = rng.Next(1, 3);
                for (var f = 0; f < flips && contents.Length > 0; f++)
                {
                    // Favour the restart array and entry headers at the ends of blocks.
                    var at = rng.Next(2) == 0 ? contents.Length - 1 - rng.Next(Math.Min(12, contents.Length)) : rng.Next(contents.Length);
                    contents[at] ^= (byte)rng.Next(1, 256);
                }

                var trailer = damaged.AsSpan((int)(handle.Offset + handle.Size), TableFormat.BlockTrailerSize);
                BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], TableFormat.BlockChecksum(contents, trailer[0]));
            }

            fs.WriteAllBytes(path, damaged);
            if (Detects(fs, path, entries, compare: false, $"seed {seed} round {round}"))
            {
                detected++;
            }
        }

        Assert.True(detected > 100, $"seed {seed}: only {detected} forged damages detected");
    }

    [Fact]
    public void Unknown_version_and_bad_magic_are_rejected()
    {
        var (fs, path, _, original) = BuildTable(10, 10, 4096);
        var damaged = (byte[])original.Clone();
        var footer = damaged.AsSpan(damaged.Length - TableFormat.FooterSize);
        var decoded = Footer.Decode(footer, path, 0);
        new Footer(decoded.MetaindexHandle, decoded.IndexHandle, TableFormat.CurrentVersion + 1).EncodeTo(footer);
        fs.WriteAllBytes(path, damaged);
        var ex = Assert.Throws<LsmCorruptionException>(() => TableTestUtil.Open(fs, path));
        Assert.Contains("version", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(path, ex.FileName);

        new Footer(decoded.MetaindexHandle, decoded.IndexHandle, 0).EncodeTo(footer);
        fs.WriteAllBytes(path, damaged);
        Assert.Contains("version", Assert.Throws<LsmCorruptionException>(() => TableTestUtil.Open(fs, path)).Reason, StringComparison.Ordinal);

        damaged = (byte[])original.Clone();
        damaged[^1] ^= 0x20;
        fs.WriteAllBytes(path, damaged);
        ex = Assert.Throws<LsmCorruptionException>(() => TableTestUtil.Open(fs, path));
        Assert.Contains("magic", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(damaged.Length - 8, ex.Offset);
    }

    [Fact]
    public void Footer_magic_spells_EFLsmSST()
    {
        var (_, _, _, bytes) = BuildTable(11, 5, 4096);
        Assert.Equal("EFLsmSST"u8.ToArray(), bytes[^8..]);
        Assert.Equal(TableFormat.VersionUncompressed, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 16)));
    }

    /// <summary>Every block of the table: data blocks from the index, then filter, index, properties and metaindex.</summary>
    private static List<BlockHandle> BlockLayout(MemoryFileSystem fs, string path)
    {
        using var reader = TableTestUtil.Open(fs, path);
        var bytes = fs.ReadAllBytes(path);
        var footer = Footer.Decode(bytes.AsSpan(bytes.Length - TableFormat.FooterSize), path, 0);
        var blocks = new List<BlockHandle>();
        using (var it = reader.IndexBlock.NewIterator())
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                BlockHandle.TryDecode(it.Value, out var h);
                blocks.Add(h);
            }
        }

        var p = reader.Properties;
        Assert.Equal(p.DataBlockCount, blocks.Count);
        blocks.Add(new BlockHandle(p.DataSize, p.FilterSize - TableFormat.BlockTrailerSize));
        blocks.Add(footer.IndexHandle);
        var propertiesOffset = footer.IndexHandle.Offset + footer.IndexHandle.Size + TableFormat.BlockTrailerSize;
        blocks.Add(new BlockHandle(propertiesOffset, footer.MetaindexHandle.Offset - propertiesOffset - TableFormat.BlockTrailerSize));
        blocks.Add(footer.MetaindexHandle);

        // The blocks tile the file up to the footer.
        long expected = 0;
        foreach (var h in blocks)
        {
            Assert.Equal(expected, h.Offset);
            expected = h.Offset + h.Size + TableFormat.BlockTrailerSize;
        }

        Assert.Equal(bytes.Length - TableFormat.FooterSize, expected);
        return blocks;
    }
}
