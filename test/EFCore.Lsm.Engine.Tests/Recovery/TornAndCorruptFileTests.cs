using System.Text;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Recovery;

/// <summary>
/// Recovery from damaged files: a WAL cut at any byte of its last record recovers exactly the records before it;
/// a flipped byte inside an SST block, a WAL record body or the manifest raises <see cref="LsmCorruptionException"/>
/// naming that file — never wrong data and never another exception type.
/// </summary>
public class TornAndCorruptFileTests
{
    private const string DbPath = "/db";

    private static LsmOptions Options(MemoryFileSystem fs) => new() { FileSystem = fs, WriteBufferSize = 64 * 1024, BlockSize = 512 };

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D5}");

    private static byte[] Value(int i) => Encoding.ASCII.GetBytes($"value-{i}-" + new string((char)('a' + (i % 26)), i % 50));

    private static MemoryFileSystem CopyOf(MemoryFileSystem source, Func<string, byte[], byte[]>? transform = null)
    {
        var copy = new MemoryFileSystem();
        copy.CreateDirectory(DbPath);
        foreach (var name in source.ListFiles(DbPath))
        {
            var path = Path.Combine(DbPath, name);
            var bytes = source.ReadAllBytes(path);
            copy.WriteAllBytes(path, transform is null ? bytes : transform(name, bytes));
        }

        return copy;
    }

    private static string OnlyFile(MemoryFileSystem fs, string suffixOrPrefix)
        => fs.ListFiles(DbPath).Single(n => n.EndsWith(suffixOrPrefix, StringComparison.Ordinal) || n.StartsWith(suffixOrPrefix, StringComparison.Ordinal));

    [Fact]
    public void Wal_cut_at_every_offset_of_its_last_record_recovers_the_prefix()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        const int records = 20;
        long lastRecordStart;
        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            for (var i = 0; i < records - 1; i++)
            {
                var batch = new WriteBatch();
                batch.Put(Key(i), Value(i));
                batch.Put(Key(1000 + i), Value(1000 + i));
                db.Write(batch);
            }

            lastRecordStart = fs.GetFileSize(Path.Combine(DbPath, OnlyFile(fs, ".log")));
            var last = new WriteBatch();
            last.Put(Key(records - 1), Value(records - 1));
            last.Put(Key(1000 + records - 1), Value(1000 + records - 1));
            last.Delete(Key(0));
            db.Write(last);
        }

        var walName = OnlyFile(fs, ".log");
        var walLength = fs.GetFileSize(Path.Combine(DbPath, walName));
        Assert.True(walLength > lastRecordStart);
        for (var cut = lastRecordStart; cut <= walLength; cut++)
        {
            var damaged = CopyOf(fs, (name, bytes) => name == walName ? bytes.AsSpan(0, (int)cut).ToArray() : bytes);
            using var db = LsmDatabase.Open(DbPath, Options(damaged));
            var lastApplied = cut == walLength;
            for (var i = 0; i < records; i++)
            {
                var expectPresent = i < records - 1 || lastApplied;
                if (i == 0)
                {
                    expectPresent = !lastApplied; // the last batch deletes key 0
                }

                Assert.True(expectPresent == (db.Get(Key(i)) is not null), $"cut {cut}: key {i} presence");
                if (i < records - 1 || lastApplied)
                {
                    Assert.Equal(Value(1000 + i), db.Get(Key(1000 + i)));
                }
                else
                {
                    Assert.Null(db.Get(Key(1000 + i)));
                }
            }
        }
    }

    [Fact]
    public void Flipped_byte_in_wal_body_is_reported_with_the_file_name()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            for (var i = 0; i < 50; i++)
            {
                db.Put(Key(i), Value(i));
            }
        }

        var walName = OnlyFile(fs, ".log");
        var damaged = CopyOf(fs, (name, bytes) =>
        {
            if (name == walName)
            {
                bytes[bytes.Length / 3] ^= 0x40; // inside an early record, far from the tail
            }

            return bytes;
        });
        var error = Assert.Throws<LsmCorruptionException>(() => LsmDatabase.Open(DbPath, Options(damaged)).Dispose());
        Assert.Contains(walName, error.FileName, StringComparison.Ordinal);

        // With tolerance the damaged record is skipped and the database opens; what it returns is never garbage.
        using var tolerant = LsmDatabase.Open(DbPath, new LsmOptions { FileSystem = damaged, TolerateCorruptedWalRecords = true });
        for (var i = 0; i < 50; i++)
        {
            var value = tolerant.Get(Key(i));
            Assert.True(value is null || value.AsSpan().SequenceEqual(Value(i)));
        }
    }

    [Fact]
    public void Flipped_byte_in_an_sst_block_is_reported_with_the_file_name()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            for (var i = 0; i < 2000; i++)
            {
                db.Put(Key(i), Value(i));
            }

            db.Flush();
        }

        var sstName = fs.ListFiles(DbPath).First(n => n.EndsWith(".sst", StringComparison.Ordinal));
        var length = fs.ReadAllBytes(Path.Combine(DbPath, sstName)).Length;
        var random = new Random(7);
        for (var trial = 0; trial < 40; trial++)
        {
            var offset = random.Next(length);
            var damaged = CopyOf(fs, (name, bytes) =>
            {
                if (name == sstName)
                {
                    bytes[offset] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            });

            try
            {
                using var db = LsmDatabase.Open(DbPath, Options(damaged));
                using var iterator = db.NewIterator();
                var i = 0;
                for (iterator.SeekToFirst(); iterator.Valid; iterator.Next(), i++)
                {
                    Assert.Equal(Key(i), iterator.Key.ToArray());
                    Assert.Equal(Value(i), iterator.Value.ToArray());
                }

                Assert.Equal(2000, i);
                for (var k = 0; k < 2000; k += 37)
                {
                    Assert.Equal(Value(k), db.Get(Key(k)));
                }
            }
            catch (LsmCorruptionException e)
            {
                Assert.Contains(sstName, e.FileName, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Flipped_byte_in_the_manifest_is_reported_with_the_file_name_or_harmless()
    {
        var fs = new MemoryFileSystem();
        fs.CreateDirectory(DbPath);
        using (var db = LsmDatabase.Open(DbPath, Options(fs)))
        {
            for (var i = 0; i < 3000; i++)
            {
                db.Put(Key(i), Value(i));
            }

            db.Flush();
        }

        var manifest = OnlyFile(fs, "MANIFEST-");
        var length = fs.ReadAllBytes(Path.Combine(DbPath, manifest)).Length;
        for (var offset = 0; offset < length; offset += Math.Max(1, length / 60))
        {
            var at = offset;
            var damaged = CopyOf(fs, (name, bytes) =>
            {
                if (name == manifest)
                {
                    bytes[at] ^= 0x01;
                }

                return bytes;
            });
            try
            {
                // A damaged edit must be reported; opening may only succeed when the damage left every edit readable.
                using var db = LsmDatabase.Open(DbPath, Options(damaged));
                for (var i = 0; i < 3000; i++)
                {
                    Assert.Equal(Value(i), db.Get(Key(i)));
                }
            }
            catch (LsmCorruptionException e)
            {
                Assert.Contains(manifest, e.FileName, StringComparison.Ordinal);
            }
            catch (Exception e) when (e is not LsmCorruptionException)
            {
                throw new Xunit.Sdk.XunitException($"flip at offset {at} of {length} in {manifest} ({string.Join(",", fs.ListFiles(DbPath))}): {e}");
            }
        }
    }
}
