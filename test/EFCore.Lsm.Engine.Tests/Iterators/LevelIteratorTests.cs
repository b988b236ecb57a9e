using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Iterators;
using static EFCore.Lsm.Engine.Tests.Iterators.VectorIterator;

namespace EFCore.Lsm.Engine.Tests.Iterators;

public class LevelIteratorTests
{
    private static (LevelIterator Level, List<VectorIterator> Opened, List<int> OpenedIndexes) Build(
        params (byte[] Key, byte[] Value)[][] files)
    {
        var opened = new List<VectorIterator>();
        var indexes = new List<int>();
        var smallest = new List<byte[]>();
        var largest = new List<byte[]>();
        byte[] previous = InternalKey.Create([], InternalKey.MaxSequence, ValueKind.Put);
        foreach (var file in files)
        {
            smallest.Add(file.Length > 0 ? file[0].Key : previous);
            largest.Add(file.Length > 0 ? file[^1].Key : previous);
            previous = largest[^1];
        }

        var level = new LevelIterator(smallest, largest, i =>
        {
            var v = new VectorIterator(files[i]);
            opened.Add(v);
            indexes.Add(i);
            return v;
        });
        return (level, opened, indexes);
    }

    private static string UserKey(LevelIterator level) => System.Text.Encoding.UTF8.GetString(InternalKey.UserKey(level.Key));

    [Fact]
    public void No_files_is_never_valid()
    {
        var (level, opened, _) = Build();
        level.SeekToFirst();
        Assert.False(level.Valid);
        level.SeekToLast();
        Assert.False(level.Valid);
        level.Seek(InternalKey.Create("a"u8, 1, ValueKind.Put));
        Assert.False(level.Valid);
        Assert.Empty(opened);
        level.Dispose();
    }

    [Fact]
    public void Opens_files_lazily_and_only_one_at_a_time()
    {
        var (level, opened, indexes) = Build(
            [Put("a", 1, "1"), Put("b", 1, "2")],
            [Put("c", 1, "3")],
            [Put("d", 1, "4"), Put("e", 1, "5")]);
        Assert.Empty(opened);

        level.Seek(InternalKey.Create("c"u8, InternalKey.MaxSequence, ValueKind.Put));
        Assert.Equal([1], indexes);
        Assert.Equal("c", UserKey(level));

        level.Next();
        Assert.Equal("d", UserKey(level));
        Assert.Equal([1, 2], indexes);
        Assert.True(opened[0].IsDisposed);

        level.Prev();
        level.Prev();
        Assert.Equal("b", UserKey(level));
        Assert.Equal([1, 2, 1, 0], indexes);
        Assert.Equal(1, opened.Count(o => !o.IsDisposed));

        // Seeking within the open file reuses it.
        level.Seek(InternalKey.Create("a"u8, InternalKey.MaxSequence, ValueKind.Put));
        Assert.Equal(4, opened.Count);
        Assert.Equal("a", UserKey(level));

        level.Prev();
        Assert.False(level.Valid);
        Assert.All(opened, o => Assert.True(o.IsDisposed));
        Assert.Equal(-1, level.CurrentFileIndex);

        level.SeekToLast();
        Assert.Equal("e", UserKey(level));
        level.Dispose();
        Assert.All(opened, o => Assert.Equal(1, o.DisposeCount));
    }

    [Fact]
    public void Skips_empty_files_in_both_directions()
    {
        var (level, _, _) = Build([], [Put("a", 1, "1")], [], [], [Put("b", 1, "2")], []);
        level.SeekToFirst();
        Assert.Equal("a", UserKey(level));
        level.Next();
        Assert.Equal("b", UserKey(level));
        level.Next();
        Assert.False(level.Valid);
        level.SeekToLast();
        Assert.Equal("b", UserKey(level));
        level.Prev();
        Assert.Equal("a", UserKey(level));
        level.Prev();
        Assert.False(level.Valid);
        level.Dispose();
    }

    [Fact]
    public void Only_empty_files_is_never_valid()
    {
        var (level, opened, _) = Build([], [], []);
        level.SeekToFirst();
        Assert.False(level.Valid);
        level.SeekToLast();
        Assert.False(level.Valid);
        level.Seek(InternalKey.Create([], InternalKey.MaxSequence, ValueKind.Put));
        Assert.False(level.Valid);
        Assert.All(opened, o => Assert.True(o.IsDisposed));
        level.Dispose();
    }

    [Fact]
    public void Seek_past_every_file_opens_nothing()
    {
        var (level, opened, _) = Build([Put("a", 1, "1")], [Put("b", 1, "2")]);
        level.Seek(InternalKey.Create("c"u8, InternalKey.MaxSequence, ValueKind.Put));
        Assert.False(level.Valid);
        Assert.Empty(opened);
        level.Dispose();
    }

    [Fact]
    public void A_user_key_split_across_files_is_found_by_internal_key()
    {
        // Versions of "k" span two files: a seek at a sequence in the second file must land in it.
        var (level, _, _) = Build([Put("k", 9, "9"), Put("k", 7, "7")], [Put("k", 5, "5"), Put("k", 3, "3")]);
        level.Seek(InternalKey.Create("k"u8, 6, ValueKind.Put));
        Assert.Equal("5"u8.ToArray(), level.Value.ToArray());
        level.Prev();
        Assert.Equal("7"u8.ToArray(), level.Value.ToArray());
        level.Dispose();
    }

    [Fact]
    public void Rejects_mismatched_key_lists()
        => Assert.Throws<ArgumentException>(() => new LevelIterator([[1, 0, 0, 0, 0, 0, 0, 0, 0]], [], _ => EmptyIterator.Instance));

    [Fact]
    public void Randomized_against_concatenated_model()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var entries = new List<(byte[] Key, byte[] Value)>();
            var count = random.Next(0, 40);
            for (var i = 0; i < count; i++)
            {
                entries.Add((InternalKey.Create(IteratorTestData.RandomUserKey(random, 3, 3), (ulong)(i + 1), (ValueKind)random.Next(2)),
                    IteratorTestData.RandomValue(random, i)));
            }

            entries = entries.OrderBy(e => e.Key, InternalKeyComparer.Instance).ToList();
            var opened = new List<VectorIterator>();
            var level = IteratorTestData.BuildLevel(random, entries, opened);
            var position = -1;
            for (var step = 0; step < 200; step++)
            {
                var op = random.Next(8);
                if (position < 0 && op >= 3)
                {
                    op = random.Next(3);
                }

                switch (op)
                {
                    case 0:
                        level.SeekToFirst();
                        position = entries.Count > 0 ? 0 : -1;
                        break;
                    case 1:
                        level.SeekToLast();
                        position = entries.Count - 1;
                        break;
                    case 2:
                        var target = InternalKey.Create(
                            IteratorTestData.RandomUserKey(random, 3, 3), (ulong)random.Next(count + 2), (ValueKind)random.Next(2));
                        level.Seek(target);
                        position = entries.FindIndex(e => InternalKey.Compare(e.Key, target) >= 0);
                        break;
                    case 3:
                    case 4:
                    case 5:
                        level.Next();
                        position = position + 1 < entries.Count ? position + 1 : -1;
                        break;
                    default:
                        level.Prev();
                        position--;
                        break;
                }

                Assert.True(level.Valid == (position >= 0), $"seed {seed} step {step}: Valid mismatch");
                if (position >= 0)
                {
                    Assert.True(level.Key.SequenceEqual(entries[position].Key), $"seed {seed} step {step}: Key mismatch");
                    Assert.True(level.Value.SequenceEqual(entries[position].Value), $"seed {seed} step {step}: Value mismatch");
                }

                Assert.True(opened.Count(o => !o.IsDisposed) <= 1, $"seed {seed} step {step}: more than one file open");
            }

            level.Dispose();
            Assert.All(opened, o => Assert.Equal(1, o.DisposeCount));
        }
    }
}
