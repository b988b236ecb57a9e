using System.Buffers.Binary;
using EFCore.Lsm.Engine.Util;
using EFCore.Lsm.Engine.Wal;
using static EFCore.Lsm.Engine.Tests.Wal.LogTestUtil;

namespace EFCore.Lsm.Engine.Tests.Wal;

public class LogTests
{
    public static TheoryData<int> BoundarySizes()
    {
        var sizes = new SortedSet<int> { 0, 1, 2, 100, Block - Header, 2 * (Block - Header), (3 * Block) + 5, 200_000 };
        for (var d = 1; d <= 8; d++)
        {
            sizes.Add(Block - Header - d);
            sizes.Add(Block - Header + d);
            sizes.Add(Block - d);
            sizes.Add(Block + d);
        }

        return new TheoryData<int>(sizes);
    }

    [Fact]
    public void Empty_file_has_no_records()
    {
        var reader = new LogReader(new ByteArrayFile([]), "x.log", tolerateCorruption: false);
        Assert.False(reader.TryReadRecord(out _, out _));
        Assert.Equal(0, reader.LastRecordEndOffset);
        Assert.Equal(0, reader.DroppedBytes);
    }

    [Theory]
    [MemberData(nameof(BoundarySizes))]
    public void Round_trips_records_around_block_boundaries(int size)
    {
        var random = new Random(size);
        foreach (var sizes in new[] { new[] { size }, [size, size], [1, size, 2], [Block - Header - 3, size, 0, size] })
        {
            var records = sizes.Select(s => Payload(random, s)).ToList();
            var (file, layout) = Write(records);
            var read = ReadAll(file, file.Length, tolerate: false, out var reader);
            Assert.Equal(records.Count, read.Count);
            for (var i = 0; i < records.Count; i++)
            {
                Assert.Equal(records[i], read[i].Record);
                Assert.Equal(layout[i].Offset, read[i].Offset);
            }

            Assert.Equal(file.Length, reader.LastRecordEndOffset);
            Assert.Equal(0, reader.DroppedBytes);
        }
    }

    [Fact]
    public void Header_is_byte_exact()
    {
        var (file, _) = Write([[.. "hello"u8]]);
        Assert.Equal(12, file.Length);
        var expectedCrc = Crc32C.Mask(Crc32C.Compute([1, .. "hello"u8]));
        Assert.Equal(expectedCrc, BinaryPrimitives.ReadUInt32LittleEndian(file));
        Assert.Equal(5, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(4)));
        Assert.Equal((byte)LogRecordType.Full, file[6]);
        Assert.Equal("hello"u8.ToArray(), file[7..]);
    }

    [Fact]
    public void Empty_record_is_a_bare_full_header()
    {
        var (file, _) = Write([[]]);
        Assert.Equal(Header, file.Length);
        Assert.Equal((byte)LogRecordType.Full, file[6]);
        var read = ReadAll(file);
        Assert.Single(read);
        Assert.Empty(read[0].Record);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Block_tail_shorter_than_a_header_is_zero_filled(int tail)
    {
        var first = new byte[Block - Header - tail];
        Array.Fill(first, (byte)0xAB);
        var (file, layout) = Write([first, [.. "abc"u8]]);
        if (tail < Header)
        {
            Assert.All(file.AsSpan(Block - tail, tail).ToArray(), b => Assert.Equal(0, b));
            Assert.Equal(Block, layout[1].Offset);
            Assert.Equal((byte)LogRecordType.Full, file[Block + 6]);
        }
        else
        {
            // At least a header's worth left: the record starts there with a FIRST fragment of what fits (maybe nothing).
            Assert.Equal(Block - tail, layout[1].Offset);
            Assert.Equal((byte)LogRecordType.First, file[Block - tail + 6]);
            Assert.Equal(tail - Header, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(Block - tail + 4)));
        }

        var read = ReadAll(file);
        Assert.Equal(2, read.Count);
        Assert.Equal(first, read[0].Record);
        Assert.Equal("abc"u8.ToArray(), read[1].Record);
        Assert.Equal(layout[1].Offset, read[1].Offset);
    }

    [Fact]
    public void Large_record_is_split_into_first_middle_last()
    {
        var record = Payload(new Random(5), (2 * Block) + 1000);
        var (file, layout) = Write([record]);
        var fragments = layout[0].Fragments;
        Assert.Equal(3, fragments.Count);
        Assert.Equal((byte)LogRecordType.First, file[fragments[0].Start + 6]);
        Assert.Equal((byte)LogRecordType.Middle, file[fragments[1].Start + 6]);
        Assert.Equal((byte)LogRecordType.Last, file[fragments[2].Start + 6]);
        Assert.Equal(record, ReadAll(file).Single().Record);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_records_round_trip(int seed)
    {
        var random = new Random(seed);
        var records = new List<byte[]>();
        for (var i = 0; i < 300; i++)
        {
            var size = random.Next(10) switch
            {
                0 => random.Next(Block * 3),
                1 => Block - Header - random.Next(16),
                2 => 0,
                _ => random.Next(300),
            };
            records.Add(Payload(random, size));
        }

        var (file, layout) = Write(records);
        var read = ReadAll(file, file.Length, tolerate: false, out var reader);
        Assert.True(records.Count == read.Count, $"seed {seed}");
        for (var i = 0; i < records.Count; i++)
        {
            Assert.True(records[i].AsSpan().SequenceEqual(read[i].Record), $"seed {seed} record {i}");
            Assert.True(layout[i].Offset == read[i].Offset, $"seed {seed} record {i}");
        }

        Assert.Equal(file.Length, reader.LastRecordEndOffset);
    }

    [Fact]
    public void Reader_reads_whole_blocks_not_records()
    {
        var random = new Random(9);
        var records = Enumerable.Range(0, 2000).Select(_ => Payload(random, random.Next(40))).ToList();
        var (file, _) = Write(records);
        var source = new ByteArrayFile(file);
        var reader = new LogReader(source, "x.log", false);
        var n = 0;
        while (reader.TryReadRecord(out _, out _))
        {
            n++;
        }

        Assert.Equal(records.Count, n);
        var blocks = (file.Length / Block) + 1;
        Assert.True(source.Reads <= blocks + 1, $"{source.Reads} reads for {blocks} blocks");
    }

    [Fact]
    public void Reader_does_not_allocate_per_record()
    {
        var random = new Random(10);
        var records = Enumerable.Range(0, 3000).Select(_ => Payload(random, random.Next(20) == 0 ? 5000 : random.Next(60))).ToList();
        var (file, _) = Write(records);
        var source = new ByteArrayFile(file);

        // Warm up the code paths; then a fresh reader may allocate its reassembly buffer once, but nothing per record.
        var warm = new LogReader(source, "x.log", false);
        while (warm.TryReadRecord(out _, out _))
        {
        }

        var reader = new LogReader(source, "x.log", false);
        Assert.True(reader.TryReadRecord(out _, out _));
        var before = GC.GetAllocatedBytesForCurrentThread();
        long total = 0;
        while (reader.TryReadRecord(out var record, out _))
        {
            total += record.Length;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 2 * Block, $"{allocated} bytes allocated reading {records.Count} records");
        Assert.Equal(records.Skip(1).Sum(r => (long)r.Length), total);
    }

    [Fact]
    public void Writer_does_not_allocate_per_record()
    {
        var record = new byte[3 * Block];
        using var writer = new LogWriter(new NullWritableFile());
        for (var i = 0; i < 100; i++)
        {
            writer.AddRecord(record.AsSpan(0, i * 977 % record.Length));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            writer.AddRecord(record.AsSpan(0, i * 977 % record.Length));
        }

        // A per-record allocation would cost at least 24 KB here (the smallest object is 24 bytes); the slack only absorbs
        // runtime noise (tiering, which on a loaded machine has allocated up to about 5 KB here).
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 * 1024, $"{allocated} bytes allocated for 1000 records");
    }

    [Fact]
    public void Writer_flush_sync_and_dispose_reach_the_file()
    {
        var file = new BufferWritableFile();
        var writer = new LogWriter(file);
        writer.AddRecord("a"u8);
        writer.Flush();
        writer.Sync();
        Assert.Equal(1, file.Syncs);
        Assert.Equal(8, writer.Length);
        writer.Dispose();
        Assert.True(file.Disposed);
        Assert.Throws<ObjectDisposedException>(() => writer.AddRecord("b"u8));
    }

    [Fact]
    public void Writer_continuing_a_file_keeps_block_alignment()
    {
        var file = new BufferWritableFile();
        file.Append(new byte[Block - 3]);
        using (var writer = new LogWriter(file))
        {
            writer.AddRecord("xyz"u8);
        }

        var bytes = file.ToArray();
        Assert.Equal(Block + Header + 3, bytes.Length);
        Assert.Equal((byte)LogRecordType.Full, bytes[Block + 6]);
    }

    /// <summary>A crash leaves a prefix of the file: every cut must give exactly the records that were complete, quietly.</summary>
    [Fact]
    public void Truncation_at_every_offset_of_the_last_record_yields_the_complete_prefix()
    {
        var random = new Random(11);

        // The last record straddles the first block boundary (FIRST + LAST), after records that leave odd tails.
        var records = new List<byte[]>();
        var used = 0;
        while (used < Block - 600)
        {
            var r = Payload(random, random.Next(1, 200));
            records.Add(r);
            used += r.Length + Header;
        }

        records.Add(Payload(random, 900));
        var (file, layout) = Write(records);
        Assert.Equal(2, layout[^1].Fragments.Count);

        var previousEnd = layout[^2].End;
        for (var cut = (int)previousEnd; cut <= file.Length; cut++)
        {
            CheckCut(file, layout, cut);
        }
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void Truncation_at_sampled_offsets_yields_the_complete_prefix(int seed)
    {
        var random = new Random(seed);
        var records = new List<byte[]>();
        for (var i = 0; i < 60; i++)
        {
            records.Add(Payload(random, random.Next(4) == 0 ? random.Next(2 * Block) : random.Next(100)));
        }

        records.Add(Payload(random, (3 * Block) + 123));
        var (file, layout) = Write(records);

        var cuts = new SortedSet<int> { 0, 1, file.Length };
        for (var i = 0; i < 150; i++)
        {
            cuts.Add(random.Next(file.Length + 1));
        }

        foreach (var record in layout)
        {
            foreach (var (start, end) in record.Fragments)
            {
                for (var d = -8; d <= 8; d++)
                {
                    cuts.Add((int)Math.Clamp(start + d, 0, file.Length));
                    cuts.Add((int)Math.Clamp(end + d, 0, file.Length));
                }
            }
        }

        foreach (var cut in cuts)
        {
            CheckCut(file, layout, cut, seed);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(Block)]
    [InlineData((3 * Block) + 17)]
    public void Zero_filled_tail_is_a_clean_end(int zeros)
    {
        var random = new Random(zeros);
        var records = Enumerable.Range(0, 20).Select(_ => Payload(random, random.Next(3000))).ToList();
        var (file, _) = Write(records);
        var padded = new byte[file.Length + zeros];
        file.CopyTo(padded, 0);

        var read = ReadAll(padded, padded.Length, tolerate: false, out var reader);
        Assert.Equal(records, read.Select(r => r.Record));
        Assert.Equal(0, reader.DroppedBytes);
        Assert.Equal(file.Length, reader.LastRecordEndOffset);

        // A torn multi-fragment record followed by zero fill is also a clean end.
        var (big, bigLayout) = Write([.. records, Payload(random, 2 * Block)]);
        var cut = (int)bigLayout[^1].Fragments[1].End;
        var torn = new byte[cut + zeros];
        big.AsSpan(0, cut).CopyTo(torn);
        Assert.Equal(records, ReadAll(torn).Select(r => r.Record));
    }

    [Fact]
    public void Zero_fill_followed_by_data_is_corruption()
    {
        var random = new Random(3);
        var (a, _) = Write([Payload(random, 100)]);
        var hole = new byte[Block - a.Length];
        var (b, _) = Write([Payload(random, 50)]);
        var file = a.Concat(hole).Concat(b).ToArray();

        var reader = new LogReader(new ByteArrayFile(file), "000009.log", false);
        Assert.True(reader.TryReadRecord(out _, out _));
        var e = Assert.Throws<LsmCorruptionException>(() => reader.TryReadRecord(out _, out _));
        Assert.Equal("000009.log", e.FileName);
        Assert.Equal(a.Length, e.Offset);

        var read = ReadAll(file, file.Length, tolerate: true, out var tolerant);
        Assert.Equal(2, read.Count);
        Assert.Equal(Block, read[1].Offset);
        Assert.Equal(hole.Length, tolerant.DroppedBytes);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(34)]
    [InlineData(35)]
    [InlineData(36)]
    public void Flipped_byte_before_the_tail_raises_corruption_with_file_and_offset(int seed)
    {
        var (file, layout, position, damaged) = DamagedLog(seed);
        var reader = new LogReader(new ByteArrayFile(file), "000042.log", tolerateCorruption: false);
        var delivered = new List<byte[]>();
        var e = Assert.Throws<LsmCorruptionException>(() =>
        {
            while (reader.TryReadRecord(out var record, out _))
            {
                delivered.Add(record.ToArray());
            }
        });

        Assert.Equal("000042.log", e.FileName);
        Assert.True(damaged.Start == e.Offset, $"seed {seed}: flipped byte {position}, fragment at {damaged.Start}, reported {e.Offset}");
        var expected = layout.Where(r => r.End <= damaged.Start).Select(r => r.Payload).ToList();
        Assert.True(expected.Count == delivered.Count, $"seed {seed}");
        Assert.Equal(expected, delivered);

        // The failure is sticky.
        Assert.Throws<LsmCorruptionException>(() => reader.TryReadRecord(out _, out _));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(34)]
    [InlineData(35)]
    [InlineData(36)]
    [InlineData(37)]
    [InlineData(38)]
    public void Tolerated_damage_drops_whole_records_of_the_damaged_block_only(int seed)
    {
        var (file, layout, position, damaged) = DamagedLog(seed);
        var blockEnd = ((damaged.Start / Block) + 1) * Block;
        var expected = layout
            .Where(r => r.Fragments.All(f => f.End <= damaged.Start || f.Start >= blockEnd))
            .ToList();

        var read = ReadAll(file, file.Length, tolerate: true, out var reader);
        Assert.True(expected.Count == read.Count, $"seed {seed}: flipped byte {position}, expected {expected.Count} got {read.Count}");
        Assert.True(expected.Count < layout.Count, $"seed {seed}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Payload.AsSpan().SequenceEqual(read[i].Record), $"seed {seed} record {i}");
            Assert.Equal(expected[i].Offset, read[i].Offset);
        }

        Assert.True(reader.DroppedBytes > 0, $"seed {seed}");
        Assert.Equal(expected[^1].End, reader.LastRecordEndOffset);
    }

    [Fact]
    public void Flipped_payload_byte_in_the_last_block_but_not_the_last_record_is_corruption()
    {
        var random = new Random(8);
        var records = Enumerable.Range(0, 10).Select(_ => Payload(random, 100)).ToList();
        var (file, layout) = Write(records);
        file[layout[3].Offset + Header + 50] ^= 0x10;
        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(layout[3].Offset, e.Offset);
    }

    [Fact]
    public void Checksum_mismatch_in_the_final_record_is_corruption_not_a_torn_tail()
    {
        var (file, layout) = Write([[1, 2, 3], [4, 5, 6]]);
        file[^1] ^= 1;
        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(layout[1].Offset, e.Offset);
    }

    [Fact]
    public void First_while_a_record_is_open_is_corruption_and_tolerated_by_dropping_the_open_record()
    {
        var a = Fragment(LogRecordType.First, "aaaa"u8);
        var b = Fragment(LogRecordType.First, "bbbb"u8);
        var c = Fragment(LogRecordType.Last, "cccc"u8);
        var file = a.Concat(b).Concat(c).ToArray();

        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(a.Length, e.Offset);

        var read = ReadAll(file, file.Length, tolerate: true, out var reader);
        Assert.Equal("bbbbcccc"u8.ToArray(), read.Single().Record);
        Assert.Equal(a.Length, read[0].Offset);
        Assert.Equal(a.Length, reader.DroppedBytes);
    }

    [Fact]
    public void Full_while_a_record_is_open_is_corruption_and_tolerated_by_dropping_the_open_record()
    {
        var a = Fragment(LogRecordType.First, "aaaa"u8);
        var b = Fragment(LogRecordType.Middle, "bbbb"u8);
        var c = Fragment(LogRecordType.Full, "cccc"u8);
        var file = a.Concat(b).Concat(c).ToArray();

        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(a.Length + b.Length, e.Offset);

        var read = ReadAll(file, file.Length, tolerate: true, out var reader);
        Assert.Equal("cccc"u8.ToArray(), read.Single().Record);
        Assert.Equal(a.Length + b.Length, reader.DroppedBytes);
    }

    [Theory]
    [InlineData((byte)LogRecordType.Middle)]
    [InlineData((byte)LogRecordType.Last)]
    public void Continuation_without_first_is_corruption_and_tolerated_by_dropping_it(byte type)
    {
        var a = Fragment((LogRecordType)type, "orphan"u8);
        var b = Fragment(LogRecordType.Full, "ok"u8);
        var file = a.Concat(b).ToArray();

        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(0, e.Offset);

        var read = ReadAll(file, file.Length, tolerate: true, out var reader);
        Assert.Equal("ok"u8.ToArray(), read.Single().Record);
        Assert.Equal(a.Length, reader.DroppedBytes);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(255)]
    public void Unknown_record_type_is_corruption(byte type)
    {
        var good = Fragment(LogRecordType.Full, "ok"u8);
        var bad = Fragment((LogRecordType)type, "???"u8);
        var file = good.Concat(bad).Concat(good).ToArray();
        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(good.Length, e.Offset);
        Assert.Contains("type", e.Reason);

        var read = ReadAll(file, file.Length, tolerate: true, out var reader);
        Assert.Single(read);
        Assert.Equal(file.Length - good.Length, reader.DroppedBytes);
    }

    [Fact]
    public void Length_beyond_the_block_is_corruption_even_in_the_last_block()
    {
        var good = Fragment(LogRecordType.Full, "ok"u8);
        var bad = Fragment(LogRecordType.Full, "x"u8, lengthField: Block);
        var file = good.Concat(bad).ToArray();
        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(good.Length, e.Offset);

        // In a full block too.
        var full = new byte[Block + 10];
        good.CopyTo(full, 0);
        bad.CopyTo(full, good.Length);
        e = Assert.Throws<LsmCorruptionException>(() => ReadAll(full));
        Assert.Equal(good.Length, e.Offset);
    }

    [Fact]
    public void Torn_multi_fragment_record_at_the_end_is_a_clean_end()
    {
        var random = new Random(4);
        var small = Payload(random, 10);
        var (file, layout) = Write([small, Payload(random, 3 * Block)]);
        var cut = (int)layout[1].Fragments[2].End; // FIRST, MIDDLE, MIDDLE written; LAST missing
        var read = ReadAll(file, cut, tolerate: false, out var reader);
        Assert.Equal(small, read.Single().Record);
        Assert.Equal(0, reader.DroppedBytes);
        Assert.Equal(layout[0].End, reader.LastRecordEndOffset);
    }

    private static void CheckCut(byte[] file, List<RecordLayout> layout, int cut, int seed = 0)
    {
        var read = ReadAll(file, cut, tolerate: false, out var reader);
        var expected = layout.Where(r => r.End <= cut).ToList();
        Assert.True(expected.Count == read.Count, $"seed {seed} cut {cut}: expected {expected.Count} records, got {read.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Payload.AsSpan().SequenceEqual(read[i].Record), $"seed {seed} cut {cut} record {i}");
        }

        Assert.Equal(0, reader.DroppedBytes);
        Assert.Equal(expected.Count == 0 ? 0 : expected[^1].End, reader.LastRecordEndOffset);
    }

    /// <summary>A log of several blocks with one byte flipped inside a fragment that is not in the final block.</summary>
    private static (byte[] File, List<RecordLayout> Layout, long Position, (long Start, long End) Damaged) DamagedLog(int seed)
    {
        var random = new Random(seed);
        var records = new List<byte[]>();
        for (var i = 0; i < 80; i++)
        {
            records.Add(Payload(random, random.Next(5) == 0 ? random.Next(Block + 5000) : random.Next(2000)));
        }

        var (file, layout) = Write(records);
        var lastBlockStart = (file.Length - 1) / Block * Block;
        var fragments = layout.SelectMany(r => r.Fragments).Where(f => f.End <= lastBlockStart).ToList();
        var damaged = fragments[random.Next(fragments.Count)];
        var position = damaged.Start + random.Next((int)(damaged.End - damaged.Start));
        file[position] ^= (byte)(1 << random.Next(8));
        return (file, layout, position, damaged);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(300, 1)]
    [InlineData(256, 0)]
    [InlineData(4000, 0)]
    public void Enlarged_length_field_of_the_final_record_is_corruption_not_a_torn_tail(int growBy, int damagedRecord)
    {
        // Regression: a bit flip that makes the last record's length run past the end of the file looked exactly like a
        // torn write, so the record (for a manifest, an acknowledged version edit) vanished without an error.
        // Damaging an earlier record's length so it seems to run past the end of the file must not silently drop it
        // and every record after it (the manifest case: an old version, and WALs already deleted).
        var (file, layout) = Write([Payload(new Random(1), 40), Payload(new Random(2), 50)]);
        var lengthOffset = (int)layout[damagedRecord].Offset + 4;
        var length = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(lengthOffset));
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(lengthOffset), (ushort)(length + growBy));
        var e = Assert.Throws<LsmCorruptionException>(() => ReadAll(file));
        Assert.Equal(layout[damagedRecord].Offset, e.Offset);

        // A genuinely torn final record (bytes missing) is still a clean end.
        var (intact, _) = Write([Payload(new Random(1), 40), Payload(new Random(2), 50)]);
        Assert.Single(ReadAll(intact.AsSpan(0, intact.Length - 3).ToArray()));
    }
}
