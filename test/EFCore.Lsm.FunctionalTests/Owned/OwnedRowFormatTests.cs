using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Owned;

/// <summary>
/// The stored bytes of owned values (docs/row_encoding.md, "Owned values"): the golden vector of the doc's example, and
/// rows written before a model had owned types read as before (the owned value null, the collection empty).
/// </summary>
public sealed class OwnedRowFormatTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Box
    {
        public int Id { get; set; }

        public string Label { get; set; } = "";

        public Inner? Inner { get; set; }

        public List<Item> Items { get; set; } = [];
    }

    public class Inner
    {
        public string Code { get; set; } = "";
    }

    public class Item
    {
        public string Name { get; set; } = "";
    }

    private sealed class BoxContext(string path, bool owned) : DbContext
    {
        public DbSet<Box> Boxes => Set<Box>();

        protected override void OnConfiguring(DbContextOptionsBuilder options)
        {
            TestStore.Backend.Configure(options, path);
            options.ReplaceService<IModelCacheKeyFactory, OwnedShapeCacheKeyFactory>();
        }

        public bool Owned { get; } = owned;

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var box = modelBuilder.Entity<Box>();
            box.Property(b => b.Id).ValueGeneratedNever();
            if (Owned)
            {
                box.OwnsOne(b => b.Inner);
                box.OwnsMany(b => b.Items);
            }
            else
            {
                box.Ignore(b => b.Inner);
                box.Ignore(b => b.Items);
            }
        }
    }

    private sealed class OwnedShapeCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((BoxContext)context).Owned, designTime);
    }

    private static string StoredRowHex(DbContext context, int id)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var mapping = database.GetMapping(context.Model.FindEntityType(typeof(Box))!);
        using var view = database.OpenView();
        return Convert.ToHexString(view.Get(mapping.EncodeKey([id]))!);
    }

    [Fact]
    public void Owned_values_are_nested_maps_and_arrays_in_the_owner_row_golden_vector()
    {
        using var context = new BoxContext(_temp.Db(), owned: true);
        context.Boxes.Add(new Box { Id = 1, Label = "b", Inner = new Inner { Code = "x" }, Items = [new Item { Name = "n" }] });
        context.SaveChanges();

        // Ids: Id 1, Label 2, Inner/Code 3, Items/Id 4 (EF's ordinal key, the keyspace generator's first value), Items/Name 5,
        // Inner 6, Items 7.
        Assert.Equal("84" + "0101" + "02A162" + "068103A178" + "0791820401" + "05A16E", StoredRowHex(context, 1));
    }

    [Fact]
    public void Rows_written_before_the_model_had_owned_types_read_with_none_and_then_take_them()
    {
        using (var context = new BoxContext(_temp.Db(), owned: false))
        {
            context.Boxes.Add(new Box { Id = 1, Label = "old" });
            context.SaveChanges();
            Assert.Equal("82" + "0101" + "02A36F6C64", StoredRowHex(context, 1));
        }

        TestStore.Close(_temp.Db());
        using (var context = new BoxContext(_temp.Db(), owned: true))
        {
            var box = context.Boxes.Single();
            Assert.Equal("old", box.Label);
            Assert.Null(box.Inner);
            Assert.Empty(box.Items);
            box.Inner = new Inner { Code = "new" };
            box.Items.Add(new Item { Name = "first" });
            context.SaveChanges();
        }

        using (var context = new BoxContext(_temp.Db(), owned: true))
        {
            var box = context.Boxes.AsNoTracking().Single();
            Assert.Equal(("new", "first"), (box.Inner!.Code, box.Items.Single().Name));
        }

        // A model without the owned navigations keeps their stored values: a save carries them over.
        using (var context = new BoxContext(_temp.Db(), owned: false))
        {
            context.Boxes.Single().Label = "renamed";
            context.SaveChanges();
        }

        using (var context = new BoxContext(_temp.Db(), owned: true))
        {
            var box = context.Boxes.AsNoTracking().Single();
            Assert.Equal(("renamed", "new", "first"), (box.Label, box.Inner!.Code, box.Items.Single().Name));
        }
    }
}
