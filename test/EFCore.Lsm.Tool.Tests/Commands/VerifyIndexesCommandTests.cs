using EFCore.Lsm.Engine;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary><c>lsm verify --indexes</c>: the EF indexes against the rows, through the provider's verifier.</summary>
public sealed class VerifyIndexesCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_consistent_database_verifies_with_exit_code_zero_and_the_rows_and_entries_read()
    {
        EfSampleDatabase.Create(_folder.DbPath);

        var run = new ToolRun();
        var exitCode = LsmCommandLine.Invoke(["verify", _folder.DbPath, "--indexes"], run.Output);

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Empty(run.Error);

        // Blog's unique index on Name: 3 rows, 3 entries.
        Assert.Contains("OK: the indexes agree with the rows; read 3 rows and 3 index entries.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dangling_entry_and_a_row_without_its_entry_are_each_reported_with_exit_code_two()
    {
        EfSampleDatabase.Create(_folder.DbPath);
        using (var store = new EngineKeyValueStore(LsmDatabase.Open(_folder.DbPath, new LsmOptions())))
        {
            CatalogEntity blog;
            using (var view = store.OpenView())
            {
                blog = LsmCatalog.Load(view).Entities[EfSampleDatabase.BlogType];
            }

            // Entries sort by Name ("Ada's notes" of blog 1 first), rows by Id (blog 3 last): delete the first entry, so blog
            // 1 has none, and the last row, so Linus's entry points nowhere.
            var batch = new LsmConditionalBatch();
            batch.Delete(FirstKey(store, CatalogKeys.KeyspacePrefix(Assert.Single(blog.Indexes).KeyspaceId), reverse: false));
            batch.Delete(FirstKey(store, CatalogKeys.KeyspacePrefix(blog.KeyspaceId), reverse: true));
            store.Commit(batch, sync: true);
        }

        var run = new ToolRun();
        var exitCode = LsmCommandLine.Invoke(["verify", _folder.DbPath, "--indexes"], run.Output);

        Assert.Equal(ExitCodes.Corruption, exitCode);
        Assert.Contains("FAILED: 2 problems; read 2 rows and 2 index entries.", run.Out, StringComparison.Ordinal);
        Assert.Equal(2, run.ErrorLines.Length);
        Assert.All(run.ErrorLines, line => Assert.StartsWith("inconsistent: ", line, StringComparison.Ordinal));
        Assert.Contains(run.ErrorLines, line => line.EndsWith("matches no row", StringComparison.Ordinal));
        Assert.Contains(run.ErrorLines, line => line.Contains("1 rows have no entry", StringComparison.Ordinal));
    }

    [Fact]
    public void The_database_open_elsewhere_is_refused_as_in_use_because_the_index_check_takes_its_lock()
    {
        EfSampleDatabase.Create(_folder.DbPath);
        using var open = LsmDatabase.Open(_folder.DbPath, new LsmOptions());

        var run = new ToolRun();
        run.AssertOneErrorLine(LsmCommandLine.Invoke(["verify", _folder.DbPath, "--indexes"], run.Output), ExitCodes.DatabaseInUse);
    }

    private static byte[] FirstKey(ILsmKeyValueStore store, byte[] prefix, bool reverse)
    {
        using var view = store.OpenView();
        using var cursor = view.Scan(prefix, KeyRange.AfterParts(prefix), reverse, limit: 1);
        Assert.True(cursor.MoveNext());
        return cursor.Key.ToArray();
    }
}
