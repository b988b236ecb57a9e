using System.Text.Json;
using EFCore.Lsm.Engine;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary><c>lsm catalog --data</c>: the stored values per property, and retired properties whose values are still in rows.</summary>
public sealed class CatalogDataCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public CatalogDataCommandTests() => EfSampleDatabase.Create(_folder.DbPath);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Each_property_says_how_many_rows_hold_a_value_and_nothing_retired_has_data()
    {
        var blog = Blog(Catalog(out var json));

        // Only blog 1 was saved with a Subtitle (by the earlier model); every blog has a Name.
        Assert.Equal(1, Property(blog, "Subtitle").GetProperty("rowsWithValue").GetInt64());
        Assert.Equal(3, Property(blog, "Name").GetProperty("rowsWithValue").GetInt64());
        Assert.Empty(json.RootElement.GetProperty("retiredWithData").EnumerateArray());
    }

    [Fact]
    public void A_retired_property_whose_values_are_still_in_rows_is_listed_with_its_row_count()
    {
        // What DropColumn leaves: the property retired in the catalog, its values in the rows (they are not rewritten).
        using (var store = new EngineKeyValueStore(LsmDatabase.Open(_folder.DbPath, new LsmOptions())))
        {
            CatalogEntity entity;
            using (var view = store.OpenView())
            {
                entity = LsmCatalog.Load(view).Entities[EfSampleDatabase.BlogType];
            }

            var retired = entity with
            {
                Properties = [.. entity.Properties.Select(p => p.Name == "Subtitle" ? p with { Retired = true } : p)],
            };
            var batch = new LsmConditionalBatch();
            batch.Put(CatalogKeys.Entity(entity.Name), retired.Encode());
            store.Commit(batch, sync: true);
        }

        var blog = Blog(Catalog(out var json));

        Assert.True(Property(blog, "Subtitle").GetProperty("retired").GetBoolean());
        var listed = Assert.Single(json.RootElement.GetProperty("retiredWithData").EnumerateArray());
        Assert.Equal(EfSampleDatabase.BlogType, listed.GetProperty("entityType").GetString());
        Assert.Equal("Subtitle", listed.GetProperty("property").GetString());
        Assert.Equal(1, listed.GetProperty("rows").GetInt64());
    }

    private JsonElement Catalog(out JsonDocument json)
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["catalog", _folder.DbPath, "--data"], run.Output));
        Assert.Empty(run.Error);
        json = JsonDocument.Parse(run.Out);
        return json.RootElement;
    }

    private static JsonElement Blog(JsonElement root) =>
        root.GetProperty("entityTypes").EnumerateArray().Single(e => e.GetProperty("name").GetString() == EfSampleDatabase.BlogType);

    private static JsonElement Property(JsonElement entity, string name) =>
        entity.GetProperty("properties").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
}
