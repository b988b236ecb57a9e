using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;

namespace EFCore.Lsm.Tests.Storage;

/// <summary>
/// <see cref="ILsmReadView.GetMany(IReadOnlyList{byte[]})"/> of the engine's store (and its sink form, the engine's and the
/// interface's default) must answer what <see cref="ILsmReadView.Get"/> of each key
/// answers at the view's version, in the caller's order: checked against per-key gets and a dictionary model per view, over
/// random histories of seam commits that leave data in the memtable and in tables, with views opened along the way and
/// key lists that repeat keys, come in any order, and name keys that never existed.
/// </summary>
public sealed class EngineGetManyTests
{
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 12)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void GetMany_matches_Get_and_the_model_at_every_view(int seed)
    {
        var random = new Random(seed);
        var options = new LsmOptions { FileSystem = new MemoryFileSystem(), WriteBufferSize = 64 << 10, BlockSize = 512 };
        using var store = new EngineKeyValueStore(LsmDatabase.Open("/db", options));
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var views = new List<(ILsmReadView View, Dictionary<string, byte[]> Model)>();
        try
        {
            for (var round = 0; round < 40; round++)
            {
                var batch = new LsmConditionalBatch();
                var written = new HashSet<string>();
                for (var i = random.Next(1, 60); i > 0; i--)
                {
                    var key = RandomKey(random);
                    if (!written.Add(key))
                    {
                        continue;
                    }

                    if (random.Next(4) == 0)
                    {
                        batch.Delete(Key(key));
                        model.Remove(key);
                    }
                    else
                    {
                        var value = new byte[random.Next(0, 300)];
                        random.NextBytes(value);
                        batch.Put(Key(key), value);
                        model[key] = value;
                    }
                }

                store.Commit(batch, sync: false);
                switch (random.Next(10))
                {
                    case 0:
                        store.Engine.Flush();
                        break;
                    case 1:
                        store.Engine.CompactRange(null, null);
                        break;
                    case 2 or 3:
                        views.Add((store.OpenView(), new Dictionary<string, byte[]>(model, StringComparer.Ordinal)));
                        break;
                }
            }

            views.Add((store.OpenView(), new Dictionary<string, byte[]>(model, StringComparer.Ordinal)));
            foreach (var (view, expected) in views)
            {
                for (var ask = 0; ask < 5; ask++)
                {
                    var names = AskedKeys(random, expected.Keys.ToList(), sorted: ask == 0);
                    var keys = names.Select(Key).ToList();

                    var values = view.GetMany(keys);
                    var sink = new RecordingSink(keys.Count);
                    var found = view.GetMany(keys, sink);
                    var byDefault = new RecordingSink(keys.Count);
                    var foundByDefault = ((ILsmReadView)new ArrayOnlyView(view)).GetMany(keys, byDefault);

                    Assert.Equal(keys.Count, values.Length);
                    Assert.Equal(values.Count(v => v is not null), found);
                    Assert.Equal(found, foundByDefault);
                    for (var i = 0; i < keys.Count; i++)
                    {
                        var fromModel = expected.GetValueOrDefault(names[i]);
                        Assert.Equal(fromModel, values[i]);
                        Assert.Equal(view.Get(keys[i]), values[i]);
                        Assert.Equal(fromModel, sink.Values[i]);
                        Assert.Equal(fromModel, byDefault.Values[i]);
                    }
                }
            }
        }
        finally
        {
            foreach (var (view, _) in views)
            {
                view.Dispose();
            }
        }
    }

    [Fact]
    public void Repeated_keys_get_their_own_copies_and_an_empty_list_gets_an_empty_answer()
    {
        using var store = new EngineKeyValueStore(LsmDatabase.Open("/db", new LsmOptions { FileSystem = new MemoryFileSystem() }));
        var batch = new LsmConditionalBatch();
        batch.Put(Key("a"), [1, 2]);
        store.Commit(batch, sync: false);
        using var view = store.OpenView();

        var values = view.GetMany([Key("a"), Key("missing"), Key("a")]);

        Assert.Equal([1, 2], values[0]);
        Assert.Null(values[1]);
        Assert.Equal([1, 2], values[2]);
        Assert.NotSame(values[0], values[2]);
        Assert.Empty(view.GetMany([]));
    }

    /// <summary>Each value the sink form of GetMany reports, by index; an index reported twice fails.</summary>
    private sealed class RecordingSink(int count) : ILsmValueSink
    {
        public byte[]?[] Values { get; } = new byte[]?[count];

        public void Found(int index, ReadOnlySpan<byte> value)
        {
            Assert.Null(Values[index]);
            Values[index] = value.ToArray();
        }
    }

    /// <summary>A view that implements only the array form of GetMany, so the sink form is the interface's default.</summary>
    private sealed class ArrayOnlyView(ILsmReadView inner) : ILsmReadView
    {
        public long Version => inner.Version;

        public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

        public bool TryGet(ReadOnlySpan<byte> key, System.Buffers.IBufferWriter<byte> value) => inner.TryGet(key, value);

        public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => inner.GetMany(keys);

        public ILsmCursor Scan(byte[] lower, byte[] upper, bool reverse = false, int? limit = null) =>
            inner.Scan(lower, upper, reverse, limit);

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// Keys from a small space so that histories overwrite and delete them, with prefixes of one another ("k12" and
    /// "k120"), and now and then one longer than a lookup's stack buffer.
    /// </summary>
    private static string RandomKey(Random random) =>
        random.Next(50) == 0 ? "long-" + new string((char)('a' + random.Next(3)), 600) : "k" + random.Next(400);

    /// <summary>
    /// A list to look up: keys the view has, keys it does not (deleted or never written), repeats, in random order
    /// (or sorted, which the engine takes without sorting again).
    /// </summary>
    private static List<string> AskedKeys(Random random, List<string> present, bool sorted)
    {
        var asked = new List<string>();
        for (var i = random.Next(0, 300); i > 0; i--)
        {
            asked.Add(present.Count > 0 && random.Next(3) != 0 ? present[random.Next(present.Count)] : RandomKey(random));
        }

        if (asked.Count > 0 && random.Next(2) == 0)
        {
            asked.Add(asked[random.Next(asked.Count)]);
        }

        asked.Add("");
        asked.Add("\uffff");
        if (sorted)
        {
            asked.Sort((a, b) => Key(a).AsSpan().SequenceCompareTo(Key(b)));
        }
        else
        {
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(asked));
        }

        return asked;
    }

    private static byte[] Key(string name) => System.Text.Encoding.UTF8.GetBytes(name);
}
