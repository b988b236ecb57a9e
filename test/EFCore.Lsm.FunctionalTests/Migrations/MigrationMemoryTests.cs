using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.Migrations.Blobs;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// A migration's memory is bounded by <c>MigrationBatchBytes</c> (docs/migrations.md, "Memory"): re-keying wide rows and
/// building an index over wide values write batches no larger than the bound plus one entry, and the rows come out as they
/// went in.
/// </summary>
public sealed class MigrationMemoryTests : IDisposable
{
    private const string Initial = "20250201000001_Initial";
    private const long Bound = 64 * 1024;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_rekey_and_an_index_build_write_batches_bounded_by_MigrationBatchBytes()
    {
        var (rekey, index, valuesBefore, valuesAfter, largestEntry) = Migrate(o => o.MigrationBatchBytes(Bound));

        Assert.All(rekey.Concat(index), b => Assert.True(
            b.Bytes <= Bound + largestEntry, $"{b.Step}: a batch of {b.Entries} entries held {b.Bytes} bytes (bound {Bound} + {largestEntry})"));
        Assert.True(rekey.Count > 1, $"the re-key wrote {rekey.Count} batch(es)");
        Assert.True(index.Count > 1, $"the index build wrote {index.Count} batch(es)");
        Assert.Equal(Blob.Count, rekey.Sum(b => b.Entries));
        Assert.Equal(Blob.Count, index.Sum(b => b.Entries));
        Assert.Equal(valuesBefore, valuesAfter);
        AssertRows();
    }

    [Fact]
    public void With_the_default_bound_the_same_migration_writes_one_batch_a_step()
    {
        var (rekey, index, valuesBefore, valuesAfter, _) = Migrate(null);

        Assert.Single(rekey);
        Assert.Single(index);
        Assert.Equal(Blob.Count, rekey[0].Entries);
        Assert.Equal(Blob.Count, index[0].Entries);
        Assert.Equal(valuesBefore, valuesAfter);
        AssertRows();
    }

    [Fact]
    public void A_store_with_a_request_size_limit_gets_migration_batches_within_it()
    {
        const long limit = 128 * 1024;
        var path = _temp.Db("limited");
        var factory = new LimitedStoreFactory(path, maxOperations: 10_000, maxBytes: limit);
        void Limited(DbContextOptionsBuilder o) => ((IDbContextOptionsBuilderInfrastructure)o).AddOrUpdateExtension(
            o.Options.FindExtension<LsmOptionsExtension>()!.WithStoreFactory(factory));

        // The default MigrationBatchBytes (4 MiB) is over the store's limit: batches follow the store's.
        using (var context = new BlobsContext(path, options: Limited))
        {
            context.Database.Migrate();
        }

        Assert.NotEmpty(factory.CommittedBytes);
        Assert.All(factory.CommittedBytes, b => Assert.InRange(b, 0, limit));
        AssertRows(path, Limited);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void MigrationBatchBytes_below_one_is_refused_naming_the_option(long bytes)
    {
        var builder = new DbContextOptionsBuilder();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => builder.UseLsm(_temp.Db(), o => o.MigrationBatchBytes(bytes)));
        Assert.Equal("MigrationBatchBytes", e.ParamName);
    }

    [Fact]
    public void MigrationBatchBytes_is_kept_and_logged_with_the_options()
    {
        var builder = new DbContextOptionsBuilder();
        builder.UseLsm(_temp.Db(), o => o.MigrationBatchBytes(Bound));
        var extension = builder.Options.FindExtension<LsmOptionsExtension>()!;
        Assert.Equal(Bound, extension.MigrationBatchBytes);
        Assert.Contains("MigrationBatchBytes=65536", extension.Info.LogFragment, StringComparison.Ordinal);

        var defaults = new DbContextOptionsBuilder().UseLsm(_temp.Db()).Options.FindExtension<LsmOptionsExtension>()!;
        Assert.Equal(4L << 20, defaults.MigrationBatchBytes);
        Assert.DoesNotContain("MigrationBatchBytes", defaults.Info.LogFragment, StringComparison.Ordinal);
    }

    private (List<LsmMigrationBatchEventData> Rekey, List<LsmMigrationBatchEventData> Index, List<string> Before, List<string> After, long LargestEntry)
        Migrate(Action<Infrastructure.LsmDbContextOptionsBuilder>? lsm)
    {
        var batches = new List<LsmMigrationBatchEventData>();
        List<string> before;
        using (var context = new BlobsContext(_temp.Db(), lsm))
        {
            context.Database.Migrate(Initial);
            before = Values(StoreDump.Rows(context));
        }

        List<string> dump;
        using (var context = new BlobsContext(_temp.Db(), lsm, o => o.LogTo(
                   (id, _) => id == LsmEventId.MigrationBatchWritten, e => batches.Add((LsmMigrationBatchEventData)e))))
        {
            context.Database.Migrate();
            dump = StoreDump.Rows(context);
        }

        // A re-keyed row's entry holds its key twice (the put and the condition that the key is new); the dump is in hex.
        var largestEntry = dump.Max(line => (2L * (line.Split(' ')[1].Length / 2)) + (line.Split(' ')[2].Length / 2));
        var rekey = batches.Where(b => b.Step.Contains("_Rekey", StringComparison.Ordinal) && b.Step.Contains("AddPrimaryKey", StringComparison.Ordinal)).ToList();
        var index = batches.Where(b => b.Step.Contains("index 'IX_Blobs_Label'", StringComparison.Ordinal)).ToList();
        return (rekey, index, before, Values(dump), largestEntry);
    }

    // The value bytes of every row, in order: a re-key changes keys, never values.
    private static List<string> Values(List<string> dump) => [.. dump.Select(line => line.Split(' ')[2]).Order(StringComparer.Ordinal)];

    private void AssertRows() => AssertRows(_temp.Db(), null);

    private static void AssertRows(string path, Action<DbContextOptionsBuilder>? options)
    {
        using var context = new BlobsContext(path, options: options);
        var blobs = context.Blobs.AsNoTracking().OrderBy(b => b.Id).ToList();
        Assert.Equal(Blob.Count, blobs.Count);
        foreach (var blob in blobs)
        {
            Assert.Equal(((blob.Id - 1) % 4, (blob.Id - 1) / 4), (blob.Shelf, blob.Number));
            Assert.Equal(Blob.LabelOf(blob.Id), blob.Label);
            Assert.Equal(Blob.DataOf(blob.Id), blob.Data);
        }

        Assert.Equal(7, context.Blobs.Where(b => b.Label == Blob.LabelOf(7)).Select(b => b.Id).Single());
    }
}
