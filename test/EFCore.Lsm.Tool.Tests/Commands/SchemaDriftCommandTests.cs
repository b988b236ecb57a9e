using System.Text.Json;
using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary>
/// <c>lsm catalog</c> and <c>lsm info</c> report the schema drift the application recorded (docs/catalog.md, "Drift
/// records"): the tool has no model, so what it shows is what each context found against its model when it last opened the
/// database, read after that process closed it.
/// </summary>
public sealed class SchemaDriftCommandTests : IDisposable
{
    private const string BloggingContextName = "EFCore.Lsm.Tool.Tests.TestUtilities.BloggingContext";
    private const string RenamingContextName = "EFCore.Lsm.Tool.Tests.Commands.SchemaDriftCommandTests+RenamingContext";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A later model whose Blog lost Name and gained Title of the same type: a look-alike rename, refused.</summary>
    private sealed class RenamingContext(string path) : BloggingContext(path)
    {
        protected override void OnModelCreating(ModelBuilder model)
        {
            model.Entity<Blog>().Property(b => b.Id).ValueGeneratedNever();
            model.Entity<Blog>().Ignore(b => b.Name);
            model.Entity<Blog>().Property<string>("Subtitle");
            model.Entity<Blog>().Property<string>("Title");
            model.Entity<Post>().HasKey(p => new { p.BlogId, p.Number });
        }
    }

    [Fact]
    public void Catalog_lists_the_property_the_model_lacks_by_context_with_its_column_and_message()
    {
        // The current BloggingContext has no Subtitle, which the earlier model stored (EfSampleDatabase).
        EfSampleDatabase.Create(_folder.DbPath);

        var drift = Assert.Single(Catalog().GetProperty("schemaDrift").EnumerateArray());
        Assert.Equal(BloggingContextName, drift.GetProperty("context").GetString());
        var difference = Assert.Single(drift.GetProperty("differences").EnumerateArray());
        Assert.Equal("propertyNotInModel", difference.GetProperty("kind").GetString());
        Assert.Equal(EfSampleDatabase.BlogType, difference.GetProperty("entityType").GetString());
        Assert.Equal("Subtitle", difference.GetProperty("property").GetString());
        Assert.Equal("Subtitle", difference.GetProperty("column").GetString());
        Assert.Contains("DropColumn(name: \"Subtitle\", table: \"Blogs\")", difference.GetProperty("message").GetString());

        var info = Info();
        Assert.Contains($"Schema drift   {BloggingContextName}: 1 property not in the model (details: lsm catalog)", info);
    }

    [Fact]
    public void A_refused_rename_is_reported_for_its_context_beside_the_others()
    {
        EfSampleDatabase.Create(_folder.DbPath);
        using (var context = new RenamingContext(_folder.DbPath))
        {
            var e = Assert.Throws<InvalidOperationException>(() => context.Set<Blog>().Count());
            Assert.Contains("RenameColumn(name: \"Name\", table: \"Blogs\", newName: \"Title\")", e.Message);
        }

        EFCore.Lsm.Storage.LsmStorePool.Close(_folder.DbPath);

        var records = Catalog().GetProperty("schemaDrift").EnumerateArray().ToList();
        // By context name, in ordinal order.
        Assert.Equal([RenamingContextName, BloggingContextName], records.Select(r => r.GetProperty("context").GetString()));
        var refusal = Assert.Single(records[0].GetProperty("differences").EnumerateArray());
        Assert.Equal("renameRefused", refusal.GetProperty("kind").GetString());
        Assert.Equal("Name", refusal.GetProperty("column").GetString());

        Assert.Contains(
            $"Schema drift   {RenamingContextName}: model refused, a look-alike rename of Name needs a migration; "
            + $"{BloggingContextName}: 1 property not in the model (details: lsm catalog)\n",
            Info());
    }

    [Fact]
    public void A_database_EFCore_Lsm_did_not_create_has_no_drift_line_and_info_still_changes_no_file()
    {
        SampleDatabase.Create(_folder);
        Assert.DoesNotContain("Schema drift", Info());

        using var fresh = new TempFolder();
        EfSampleDatabase.Create(fresh.DbPath);
        var before = fresh.Snapshot();
        var run = new ToolRun();
        Assert.Equal(0, new InfoCommand(run.Output).Run(fresh.DbPath, hex: false));
        Assert.Contains("Schema drift   ", run.Out);
        var after = fresh.Snapshot();
        Assert.Equal(before.Keys, after.Keys);
        Assert.All(before, file => Assert.True(file.Value.AsSpan().SequenceEqual(after[file.Key]), file.Key + " changed"));
    }

    private JsonElement Catalog()
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["catalog", _folder.DbPath], run.Output));
        Assert.Empty(run.Error);
        return JsonDocument.Parse(run.Out).RootElement;
    }

    private string Info()
    {
        var run = new ToolRun();
        Assert.Equal(0, new InfoCommand(run.Output).Run(_folder.DbPath, hex: false));
        Assert.Empty(run.Error);
        return run.Out;
    }
}
