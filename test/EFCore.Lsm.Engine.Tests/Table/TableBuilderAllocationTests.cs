using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Engine.Table;

namespace EFCore.Lsm.Engine.Tests.Table;

/// <summary>
/// A table's Bloom filter inputs (one hash per distinct key) and the filter itself are pooled buffers: a flush or compaction
/// output of a few hundred thousand keys used to leave megabytes of large-object garbage per table, which is what grew a
/// long migration's peak memory with the size of the data.
/// </summary>
public sealed class TableBuilderAllocationTests
{
    private const int Keys = 200_000;

    [Fact]
    public void Building_a_table_allocates_no_buffer_that_grows_with_its_key_count()
    {
        var keys = new byte[Keys][];
        for (var i = 0; i < Keys; i++)
        {
            keys[i] = InternalKey.Create(System.Text.Encoding.ASCII.GetBytes($"key{i:D8}"), (ulong)i + 1, ValueKind.Put);
        }

        var value = new byte[8];
        Build(keys, value);

        // Measured on the second table, once the pool holds the buffers the first one returned; both tables are built on this
        // thread, whose pool cache the second one rents from.
        var before = GC.GetAllocatedBytesForCurrentThread();
        Build(keys, value);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The hashes alone were 256 doubling to 262,144 entries (about 2 MiB allocated) and the filter 250,000 bytes; what is
        // left (the index block, the properties, per-block scratch) is far below that.
        Assert.True(allocated < 512 * 1024, $"building a table of {Keys} keys allocated {allocated:N0} bytes");
    }

    private static void Build(byte[][] keys, byte[] value)
    {
        using var file = new DiscardingFile();
        var builder = new TableBuilder(file, new TableOptions());
        foreach (var key in keys)
        {
            builder.Add(key, value);
        }

        builder.Finish();
    }

    private sealed class DiscardingFile : IWritableFile
    {
        public long Length { get; private set; }

        public void Append(ReadOnlySpan<byte> data) => Length += data.Length;

        public void Flush()
        {
        }

        public void Sync()
        {
        }

        public void Dispose()
        {
        }
    }
}
