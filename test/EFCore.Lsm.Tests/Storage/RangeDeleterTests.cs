using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;

namespace EFCore.Lsm.Tests.Storage;

public sealed class RangeDeleterTests
{
    [Fact]
    public void Deletes_every_key_of_the_range_in_chunks_each_scan_starting_after_the_keys_the_last_one_deleted()
    {
        using var engine = new EngineKeyValueStore(LsmDatabase.Open("/db", new LsmOptions { FileSystem = new MemoryFileSystem() }));
        var batch = new LsmConditionalBatch();
        for (var i = 0; i < 10_000; i++)
        {
            batch.Put(Key(i), [1]);
        }

        engine.Commit(batch, sync: false);
        var store = new ScanRecordingStore(engine);

        RangeDeleter.Delete(store, Key(100), Key(9_900), sync: false);

        using (var view = engine.OpenView())
        using (var cursor = view.Scan(Key(0), Key(10_000)))
        {
            var left = new List<byte[]>();
            while (cursor.MoveNext())
            {
                left.Add(cursor.Key.ToArray());
            }

            Assert.Equal([.. Enumerable.Range(0, 100), .. Enumerable.Range(9_900, 100)], left.Select(k => (k[0] << 8) | k[1]));
        }

        // 9,800 keys in chunks of 4,096: three scans that found keys, then one that found none. Failed before: every scan
        // started at the range's start and passed over the tombstones of the chunks before it (n²/chunk entries for n keys).
        Assert.Equal(4, store.ScanLowers.Count);
        Assert.Equal(Key(100), store.ScanLowers[0]);
        Assert.Equal([.. Key(100 + 4_095), 0], store.ScanLowers[1]);
        Assert.Equal([.. Key(100 + 8_191), 0], store.ScanLowers[2]);
        Assert.Equal([.. Key(9_899), 0], store.ScanLowers[3]);
    }

    private static byte[] Key(int i) => [(byte)(i >> 8), (byte)i];

    /// <summary>The engine's store, recording the lower bound of every scan.</summary>
    private sealed class ScanRecordingStore(ILsmKeyValueStore inner) : ILsmKeyValueStore
    {
        public List<byte[]> ScanLowers { get; } = [];

        public string Description => inner.Description;

        public LsmStoreLimits Limits => inner.Limits;

        public ILsmReadView OpenView() => new View(inner.OpenView(), ScanLowers);

        public long Commit(LsmConditionalBatch batch, bool sync) => inner.Commit(batch, sync);

        public void Dispose()
        {
        }

        private sealed class View(ILsmReadView inner, List<byte[]> lowers) : ILsmReadView
        {
            public long Version => inner.Version;

            public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

            public bool TryGet(ReadOnlySpan<byte> key, System.Buffers.IBufferWriter<byte> value) => inner.TryGet(key, value);

            public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => inner.GetMany(keys);

            public ILsmCursor Scan(byte[] lower, byte[] upper, bool reverse = false, int? limit = null)
            {
                lowers.Add(lower);
                return inner.Scan(lower, upper, reverse, limit);
            }

            public void Dispose() => inner.Dispose();
        }
    }
}
