using EFCore.Lsm.FunctionalTests.Migrations.Scenarios;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// A migration that cannot complete (a unique index over duplicates, a new key that two rows share, SQL) stops with an
/// error that names the problem, and leaves the database exactly as before it: no history row, no half-built keyspace.
/// Renames are catalog changes: the rows stay where they are.
/// </summary>
public sealed class MigrationRefusalTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_unique_index_over_duplicates_is_refused_with_the_first_duplicate_and_nothing_changes()
    {
        using var context = new UniqueContext(_temp.Db());
        context.Database.Migrate("20250201000001_People");
        var rows = StoreDump.Rows(context);
        var schema = StoreDump.Schema(StoreDump.Store(context));
        var keys = StoreDump.KeyCount(StoreDump.Store(context));

        var e = Assert.Throws<InvalidOperationException>(() => context.Database.Migrate());
        Assert.Contains("unique index 'IX_People_Email'", e.Message);
        Assert.Contains("(Email) = ('a@x')", e.Message);

        Assert.Equal(["20250201000001_People"], context.Database.GetAppliedMigrations());
        Assert.Equal(rows, StoreDump.Rows(context));
        Assert.Equal(schema, StoreDump.Schema(StoreDump.Store(context)));
        Assert.Equal(keys, StoreDump.KeyCount(StoreDump.Store(context)));
    }

    [Fact]
    public void A_new_primary_key_that_two_rows_share_is_refused_naming_the_key_and_nothing_changes()
    {
        using var context = new RekeyDuplicateContext(_temp.Db());
        context.Database.Migrate("20250201000001_People");
        var rows = StoreDump.Rows(context);
        var keys = StoreDump.KeyCount(StoreDump.Store(context));

        var e = Assert.Throws<InvalidOperationException>(() => context.Database.Migrate());
        Assert.Contains("two rows of table 'People' have the key (Email) = ('a@x')", e.Message);
        Assert.Equal(rows, StoreDump.Rows(context));
        Assert.Equal(keys, StoreDump.KeyCount(StoreDump.Store(context)));
        Assert.Single(context.Database.GetPendingMigrations());
    }

    [Fact]
    public void RenameTable_keeps_the_rows_in_place_and_maps_them_to_the_renamed_entity_type()
    {
        using (var context = new RenameContext(_temp.Db()))
        {
            context.Database.Migrate("20250201000001_Articles");
            var before = StoreDump.Rows(context).Select(r => r[(r.IndexOf(' ') + 1)..]).ToList();
            context.Database.Migrate();
            var after = StoreDump.Rows(context);
            Assert.Equal(before, after.Select(r => r[(r.IndexOf(' ') + 1)..]));
            Assert.All(after, r => Assert.StartsWith(typeof(Post).FullName!, r));
        }

        using (var context = new RenameContext(_temp.Db()))
        {
            Assert.Equal(["one", "two"], context.Posts.OrderBy(p => p.Id).Select(p => p.Title));
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
        }
    }

    [Fact]
    public void A_column_operation_on_a_member_of_complex_collection_elements_is_refused_naming_it_and_nothing_changes()
    {
        using var context = new ElementMemberContext(_temp.Db());
        context.Database.Migrate("20250201000001_Shelves");
        context.Shelves.Add(new Shelf { Id = 1, Books = [new Book { Title = "a", Pages = 10 }, new Book { Title = "b", Pages = 20 }] });
        context.SaveChanges();
        var rows = StoreDump.Rows(context);
        var keys = StoreDump.KeyCount(StoreDump.Store(context));

        var e = Assert.Throws<NotSupportedException>(() => context.Database.Migrate());
        Assert.Contains("AlterColumn 'Books[].Pages' on 'Shelves'", e.Message);
        Assert.Contains("member of the elements of a complex collection", e.Message);
        Assert.Equal(["20250201000001_Shelves"], context.Database.GetAppliedMigrations());
        Assert.Equal(rows, StoreDump.Rows(context));
        Assert.Equal(keys, StoreDump.KeyCount(StoreDump.Store(context)));
    }

    [Fact]
    public void A_Sql_operation_is_refused_naming_the_LsmOperation_escape_hatch()
    {
        using var context = new SqlContext(_temp.Db());
        var e = Assert.Throws<NotSupportedException>(() => context.Database.Migrate());
        Assert.Contains("LsmOperation", e.Message);
        Assert.Empty(context.Database.GetAppliedMigrations());
        Assert.Empty(StoreDump.Rows(context));
    }
}
