using System.Buffers;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Wal;

namespace EFCore.Lsm.Engine.Tests.Manifest;

public class VersionEditTests
{
    private const string FileName = "MANIFEST-000003";

    [Fact]
    public void Empty_edit_is_just_the_end_tag()
    {
        var edit = new VersionEdit();
        Assert.Equal([0], edit.Encode());
        var decoded = VersionEdit.Decode([0], FileName, 0);
        AssertEqual(edit, decoded);
    }

    [Fact]
    public void Encoding_is_byte_exact()
    {
        var edit = new VersionEdit { ComparatorName = "bytewise", LogNumber = 300, NextFileNumber = 7, LastSequence = 1 };
        edit.SetCompactPointer(2, InternalKey.Create("k"u8, 5, ValueKind.Put));
        edit.DeleteFile(6, 4);
        var smallest = InternalKey.Create("a"u8, 1, ValueKind.Put);
        edit.AddFile(0, new FileMetadata(5, 1000, smallest, InternalKey.Create("z"u8, 2, ValueKind.Delete), 1, 2));
        byte[] expected =
        [
            1, 8, .. "bytewise"u8,
            2, 0xAC, 0x02, // 300
            3, 7,
            4, 1,
            5, 2, 9, (byte)'k', 0x01, 5, 0, 0, 0, 0, 0, 0,
            6, 6, 4,
            7, 0, 5, 0xE8, 0x07, 9, (byte)'a', 0x01, 1, 0, 0, 0, 0, 0, 0, 9, (byte)'z', 0x00, 2, 0, 0, 0, 0, 0, 0, 1, 2,
            0,
        ];
        Assert.Equal(expected, edit.Encode());
        AssertEqual(edit, VersionEdit.Decode(expected, FileName, 0));
    }

    [Fact]
    public void All_fields_round_trip_through_an_IBufferWriter()
    {
        var edit = FullEdit(new Random(1));
        var writer = new ArrayBufferWriter<byte>(1);
        writer.Write("prefix"u8);
        edit.EncodeTo(writer);
        var decoded = VersionEdit.Decode(writer.WrittenSpan[6..], FileName, 0);
        AssertEqual(edit, decoded);
        Assert.Equal(edit.ToString(), decoded.ToString());
        Assert.Contains("AddFile", decoded.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_edits_round_trip(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 300; i++)
        {
            var edit = RandomEdit(random);
            var decoded = VersionEdit.Decode(edit.Encode(), FileName, 0);
            AssertEqual(edit, decoded, $"seed {seed} edit {i}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_truncation_is_corruption(int seed)
    {
        var encoded = FullEdit(new Random(seed)).Encode();
        for (var cut = 0; cut < encoded.Length; cut++)
        {
            var e = Assert.Throws<LsmCorruptionException>(() => VersionEdit.Decode(encoded.AsSpan(0, cut), FileName, 555));
            Assert.Equal(FileName, e.FileName);
            Assert.Equal(555, e.Offset);
        }
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Random_byte_flips_decode_or_raise_corruption(int seed)
    {
        var random = new Random(seed);
        var accepted = 0;
        for (var round = 0; round < 3000; round++)
        {
            var encoded = RandomEdit(random).Encode();
            var flips = 1 + random.Next(3);
            for (var f = 0; f < flips; f++)
            {
                encoded[random.Next(encoded.Length)] ^= (byte)(1 + random.Next(255));
            }

            VersionEdit decoded;
            try
            {
                decoded = VersionEdit.Decode(encoded, FileName, 0);
            }
            catch (LsmCorruptionException)
            {
                continue;
            }

            // Whatever decodes must be valid enough to encode again and mean the same thing.
            accepted++;
            AssertEqual(decoded, VersionEdit.Decode(decoded.Encode(), FileName, 0), $"seed {seed} round {round}");
        }

        Assert.True(accepted < 3000, $"seed {seed}");
    }

    public static TheoryData<string, byte[]> MalformedRecords() => new()
    {
        { "empty", [] },
        { "unknown tag", [8, 0] },
        { "huge tag", [0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0] },
        { "bytes after end", [0, 0] },
        { "level 7", [6, 7, 1, 0] },
        { "level far out", [6, 0x80, 0x01, 1, 0] },
        { "twice log number", [2, 1, 2, 1, 0] },
        { "twice comparator", [1, 1, (byte)'a', 1, 1, (byte)'a', 0] },
        { "comparator not UTF-8", [1, 2, 0xC3, 0x28, 0] },
        { "comparator runs past end", [1, 9, (byte)'a', 0] },
        { "short compact key", [5, 0, 3, 1, 2, 3, 0] },
        { "compact key bad kind", [5, 0, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "last sequence over 56 bits", [4, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0] },
        { "varint too long", [2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0] },
        {
            "file size over long",
            [
                7, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                8, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ]
        },
        { "sequence range inverted", [7, 0, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 5, 4, 0] },
    };

    [Theory]
    [MemberData(nameof(MalformedRecords))]
    public void Malformed_records_are_corruption(string name, byte[] record)
    {
        var e = Assert.Throws<LsmCorruptionException>(() => VersionEdit.Decode(record, FileName, 12));
        Assert.True(e.FileName == FileName && e.Offset == 12, name);
    }

    [Fact]
    public void Encoding_refuses_what_decoding_would_reject()
    {
        var key = InternalKey.Create("k"u8, 1, ValueKind.Put);
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.DeleteFile(7, 1)).Encode());
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.DeleteFile(-1, 1)).Encode());
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.SetCompactPointer(0, [1, 2])).Encode());
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.LastSequence = InternalKey.MaxSequence + 1).Encode());
        var file = new FileMetadata(1, 1, key, key, 1, 1);
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.AddFile(ManifestConstants.NumLevels, file)).Encode());
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.AddFile(0, new FileMetadata(1, -1, key, key, 1, 1))).Encode());
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.AddFile(0, new FileMetadata(1, 1, key, key, 2, 1))).Encode());
        Assert.Throws<InvalidOperationException>(() => Edit(e => e.AddFile(0, new FileMetadata(1, 1, [1], key, 1, 1))).Encode());
    }

    [Fact]
    public void A_manifest_is_a_log_of_edits()
    {
        var fs = new MemoryFileSystem();
        var dir = Path.Combine(Path.GetTempPath(), "db");
        fs.CreateDirectory(dir);
        var path = FileNames.ManifestFile(dir, 3);
        var random = new Random(4);
        var edits = Enumerable.Range(0, 200).Select(_ => RandomEdit(random)).ToList();
        using (var writer = new LogWriter(fs.CreateFile(path)))
        {
            var buffer = new ArrayBufferWriter<byte>();
            foreach (var edit in edits)
            {
                buffer.ResetWrittenCount();
                edit.EncodeTo(buffer);
                writer.AddRecord(buffer.WrittenSpan);
            }

            writer.Sync();
        }

        using var file = fs.OpenRandomAccess(path);
        var reader = new LogReader(file, FileNames.ManifestName(3), tolerateCorruption: false);
        var i = 0;
        while (reader.TryReadRecord(out var record, out var offset))
        {
            AssertEqual(edits[i++], VersionEdit.Decode(record, FileNames.ManifestName(3), offset));
        }

        Assert.Equal(edits.Count, i);
    }

    [Fact]
    public void File_metadata_describes_itself()
    {
        var smallest = InternalKey.Create("a"u8, 3, ValueKind.Put);
        var file = new FileMetadata(12, 4096, smallest, InternalKey.Create("b"u8, 9, ValueKind.Delete), 3, 9);
        var text = file.ToString();
        Assert.Contains("#12", text);
        Assert.Contains("4096", text);
        Assert.Contains("3..9", text);
    }

    private static VersionEdit Edit(Action<VersionEdit> setup)
    {
        var edit = new VersionEdit();
        setup(edit);
        return edit;
    }

    private static VersionEdit FullEdit(Random random)
    {
        var edit = new VersionEdit
        {
            ComparatorName = "leveldb.BytewiseComparator-é",
            LogNumber = (ulong)random.NextInt64(),
            NextFileNumber = ulong.MaxValue,
            LastSequence = InternalKey.MaxSequence,
        };
        for (var level = 0; level < ManifestConstants.NumLevels; level++)
        {
            edit.SetCompactPointer(level, RandomKey(random));
            edit.DeleteFile(level, (ulong)random.NextInt64());
            edit.AddFile(level, RandomFile(random));
        }

        return edit;
    }

    private static VersionEdit RandomEdit(Random random)
    {
        var edit = new VersionEdit();
        if (random.Next(4) == 0)
        {
            edit.ComparatorName = new string('c', random.Next(40));
        }

        if (random.Next(2) == 0)
        {
            edit.LogNumber = RandomNumber(random);
        }

        if (random.Next(2) == 0)
        {
            edit.NextFileNumber = RandomNumber(random);
        }

        if (random.Next(2) == 0)
        {
            edit.LastSequence = RandomNumber(random) & InternalKey.MaxSequence;
        }

        for (var i = random.Next(3); i > 0; i--)
        {
            edit.SetCompactPointer(random.Next(ManifestConstants.NumLevels), RandomKey(random));
        }

        for (var i = random.Next(5); i > 0; i--)
        {
            edit.DeleteFile(random.Next(ManifestConstants.NumLevels), RandomNumber(random));
        }

        for (var i = random.Next(5); i > 0; i--)
        {
            edit.AddFile(random.Next(ManifestConstants.NumLevels), RandomFile(random));
        }

        return edit;
    }

    private static ulong RandomNumber(Random random) => random.Next(3) switch
    {
        0 => (ulong)random.Next(100),
        1 => (ulong)random.NextInt64(),
        _ => ulong.MaxValue - (ulong)random.Next(3),
    };

    private static byte[] RandomKey(Random random)
    {
        var user = new byte[random.Next(30)];
        random.NextBytes(user);
        return InternalKey.Create(user, (ulong)random.NextInt64(0, (long)InternalKey.MaxSequence), (ValueKind)random.Next(2));
    }

    private static FileMetadata RandomFile(Random random)
    {
        var a = (ulong)random.NextInt64(0, (long)InternalKey.MaxSequence);
        var b = (ulong)random.NextInt64(0, (long)InternalKey.MaxSequence);
        var size = random.NextInt64(0, long.MaxValue);
        return new FileMetadata(RandomNumber(random), size, RandomKey(random), RandomKey(random), Math.Min(a, b), Math.Max(a, b));
    }

    private static void AssertEqual(VersionEdit expected, VersionEdit actual, string context = "")
    {
        Assert.True(expected.ComparatorName == actual.ComparatorName, context);
        Assert.True(expected.LogNumber == actual.LogNumber, context);
        Assert.True(expected.NextFileNumber == actual.NextFileNumber, context);
        Assert.True(expected.LastSequence == actual.LastSequence, context);
        Assert.True(expected.CompactPointers.Count == actual.CompactPointers.Count, context);
        for (var i = 0; i < expected.CompactPointers.Count; i++)
        {
            Assert.True(expected.CompactPointers[i].Level == actual.CompactPointers[i].Level, context);
            Assert.True(expected.CompactPointers[i].Key.AsSpan().SequenceEqual(actual.CompactPointers[i].Key), context);
        }

        Assert.True(expected.DeletedFiles.SequenceEqual(actual.DeletedFiles), context);
        Assert.True(expected.NewFiles.Count == actual.NewFiles.Count, context);
        for (var i = 0; i < expected.NewFiles.Count; i++)
        {
            var (el, e) = expected.NewFiles[i];
            var (al, a) = actual.NewFiles[i];
            Assert.True(el == al && e.Number == a.Number && e.Size == a.Size, context);
            Assert.True(e.SmallestSequence == a.SmallestSequence && e.LargestSequence == a.LargestSequence, context);
            Assert.True(e.Smallest.AsSpan().SequenceEqual(a.Smallest) && e.Largest.AsSpan().SequenceEqual(a.Largest), context);
        }
    }
}
