using System.Text.Json;
using EFCore.Lsm.TestUtilities;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary>The entity-aware commands (tables, catalog, scan --entity, get --entity) on a database the provider wrote.</summary>
public sealed class EntityCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public EntityCommandTests() => EfSampleDatabase.Create(_folder.DbPath);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Tables_lists_entity_types_keyspaces_keys_row_counts_and_retired_properties()
    {
        var (exit, run) = Lsm("tables", _folder.DbPath);
        Assert.Equal(0, exit);
        Assert.Contains("Entity types  2 (next keyspace id 4)", run.Out);
        var blog = Assert.Single(run.OutLines, l => l.StartsWith(EfSampleDatabase.BlogType, StringComparison.Ordinal));
        Assert.True(
            System.Text.RegularExpressions.Regex.IsMatch(
                blog, @"Blog\s+1\s+3\s+\(Id Int32\)\s+\S+ \(Name\) unique, keyspace \d+, ready, 3 entries\s+-$"),
            blog);
        var post = Assert.Single(run.OutLines, l => l.Contains(".Post ", StringComparison.Ordinal));
        Assert.Matches(@"Post\s+\d+\s+6\s+\(BlogId Int32, Number Int32\)\s+none\s+-$", post);
        Assert.StartsWith("entity type", run.OutLines.Single(l => l.Contains("keyspace", StringComparison.Ordinal) && l.Contains("rows", StringComparison.Ordinal)));
    }

    [Fact]
    public void Catalog_prints_the_stored_schema_as_json()
    {
        var (exit, run) = Lsm("catalog", _folder.DbPath);
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(4, json.RootElement.GetProperty("nextKeyspaceId").GetInt64());
        var blog = json.RootElement.GetProperty("entityTypes").EnumerateArray().Single(e => e.GetProperty("name").GetString() == EfSampleDatabase.BlogType);
        Assert.Equal(1, blog.GetProperty("keyspaceId").GetInt64());
        var key = Assert.Single(blog.GetProperty("key").EnumerateArray());
        Assert.Equal("Id", key.GetProperty("property").GetString());
        Assert.Equal("System.Int32", key.GetProperty("providerType").GetString());
        var index = Assert.Single(blog.GetProperty("indexes").EnumerateArray());
        Assert.True(index.GetProperty("unique").GetBoolean());
        Assert.Equal("Name", Assert.Single(index.GetProperty("parts").EnumerateArray()).GetProperty("property").GetString());
        Assert.Equal("Ready", index.GetProperty("state").GetString());
        var subtitle = blog.GetProperty("properties").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Subtitle");
        // A property the model dropped without a migration keeps its values: it is not retired (only DropColumn retires).
        Assert.False(subtitle.GetProperty("retired").GetBoolean());
        Assert.Equal("EFCore.Lsm.Tool.Tests.TestUtilities.BlogStatus",
            blog.GetProperty("properties").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Status").GetProperty("providerType").GetString());
    }

    [Fact]
    public void Scan_entity_prints_rows_with_property_names_and_typed_values()
    {
        var (exit, run) = Lsm("scan", _folder.DbPath, "--entity", "Blog");
        Assert.Equal(0, exit);
        Assert.Equal(4, run.OutLines.Length);
        Assert.Matches(@"^Id\s+Created\s+Logo\s+Name\s+Rating\s+Status\s+Subtitle\s+Uid$", run.OutLines[0]);
        Assert.Matches(
            @"^1\s+2024-05-06T07:08:09.0000000Z\s+0x0102FF\s+Ada's notes\s+4.50\s+2\s+engines\s+0191f2c4-0000-7000-8000-000000000001$",
            run.OutLines[1]);
        Assert.Matches(@"^2\s+2024-05-07T07:08:09.0000000Z\s+null\s+Grace\s+3\s+0\s+", run.OutLines[2]);
        Assert.Empty(run.Error);
    }

    [Fact]
    public void Scan_entity_as_json_is_one_array_with_a_row_per_line()
    {
        var (exit, run) = Lsm("scan", _folder.DbPath, "--entity", EfSampleDatabase.BlogType, "--format", "json", "--limit", "2");
        Assert.Equal(0, exit);
        Assert.Equal(3, run.OutLines.Length);
        Assert.StartsWith("[{", run.OutLines[0], StringComparison.Ordinal);
        Assert.StartsWith(",{", run.OutLines[1], StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Out);
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows[0].GetProperty("Id").GetInt32());
        Assert.Equal("Ada's notes", rows[0].GetProperty("Name").GetString());
        Assert.Equal(4.50m, rows[0].GetProperty("Rating").GetDecimal());
        Assert.Equal(EfSampleDatabase.Created, rows[0].GetProperty("Created").GetDateTime());
        Assert.Equal(2, rows[0].GetProperty("Status").GetInt32());
        Assert.Equal([1, 2, 255], rows[0].GetProperty("Logo").GetBytesFromBase64());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("Logo").ValueKind);
        Assert.Equal("engines", rows[0].GetProperty("Subtitle").GetString());
    }

    [Theory]
    [InlineData(new[] { "BlogId=1", "Number>=2", "Number<4" }, new[] { 2, 3 })]
    [InlineData(new[] { "BlogId=1", "Number>3" }, new[] { 4, 5 })]
    [InlineData(new[] { "blogid=1", "Number<=1" }, new[] { 1 })]
    [InlineData(new[] { "BlogId=2" }, new[] { 1 })]
    [InlineData(new[] { "BlogId>1" }, new[] { 1 })]
    [InlineData(new[] { "BlogId=9" }, new int[0])]
    public void Scan_entity_where_key_reads_one_key_range(string[] conditions, int[] numbers)
    {
        var args = new List<string> { "scan", _folder.DbPath, "--entity", "Post", "--format", "json" };
        foreach (var condition in conditions)
        {
            args.AddRange(["--where-key", condition]);
        }

        var (exit, run) = Lsm([.. args]);
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(numbers, json.RootElement.EnumerateArray().Select(r => r.GetProperty("Number").GetInt32()));
    }

    [Theory]
    [InlineData("Number=2", "the key parts before it are not all fixed")]
    [InlineData("Title=x", "is not a key property")]
    [InlineData("BlogId", "is not 'Property=value'")]
    [InlineData("BlogId=one", "is not a valid Int32")]
    public void Scan_entity_refuses_conditions_that_are_not_one_key_range(string condition, string reason)
    {
        var (exit, run) = Lsm("scan", _folder.DbPath, "--entity", "Post", "--where-key", condition);
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, reason);
        Assert.Empty(run.Out);
    }

    [Fact]
    public void Scan_entity_counts_rows()
    {
        var (exit, run) = Lsm("scan", _folder.DbPath, "--entity", "Post", "--where-key", "BlogId=1", "--count");
        Assert.Equal(0, exit);
        Assert.Equal("5\n", run.Out);
    }

    [Fact]
    public void Get_entity_prints_one_row_by_its_key_values()
    {
        var (exit, run) = Lsm("get", _folder.DbPath, "--entity", "Post", "1", "3");
        Assert.Equal(0, exit);
        Assert.Matches(@"^property\s+value$", run.OutLines[0]);
        Assert.Matches(@"^BlogId\s+1$", run.OutLines[1]);
        Assert.Matches(@"^Number\s+3$", run.OutLines[2]);
        Assert.Matches(@"^Title\s+post 3$", run.OutLines[3]);

        (exit, run) = Lsm("get", _folder.DbPath, "--entity", "Blog", "1", "--format", "json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("Ada's notes", json.RootElement.GetProperty("Name").GetString());
    }

    [Fact]
    public void Get_entity_fails_clearly_on_a_missing_row_a_wrong_key_or_an_unknown_entity()
    {
        var (exit, run) = Lsm("get", _folder.DbPath, "--entity", "Blog", "42");
        run.AssertOneErrorLine(exit, ExitCodes.NotFound, "has no row with key (42)");

        (exit, run) = Lsm("get", _folder.DbPath, "--entity", "Post", "1");
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, "(BlogId Int32, Number Int32)", "give 2 value(s)");

        (exit, run) = Lsm("get", _folder.DbPath, "--entity", "Comment", "1");
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, "no entity type 'Comment'", EfSampleDatabase.BlogType);

        (exit, run) = Lsm("get", _folder.DbPath, "1", "2");
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, "add --entity");
    }

    [Theory]
    [InlineData("--from", "a")]
    [InlineData("--prefix", "a")]
    [InlineData("--keys-only", null)]
    public void Raw_key_options_are_refused_with_entity(string option, string? value)
    {
        string[] args = value is null
            ? ["scan", _folder.DbPath, "--entity", "Blog", option]
            : ["scan", _folder.DbPath, "--entity", "Blog", option, value];
        var (exit, run) = Lsm(args);
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, option, "--where-key");
    }

    [Fact]
    public void Raw_commands_still_show_the_same_database_as_bytes()
    {
        var (exit, run) = Lsm("scan", _folder.DbPath, "--count");
        Assert.Equal(0, exit);

        // Header, two entity records, the drift record of BloggingContext (its model lacks Subtitle), 3 blogs + 6 posts and 3
        // index entries; no key generator (keys are explicit).
        Assert.Equal("16\n", run.Out);
    }

    [Fact]
    public void A_database_without_an_ef_catalog_is_refused()
    {
        using var other = new TempFolder();
        using (var db = other.OpenDatabase())
        {
            db.Put("k"u8, "v"u8);
        }

        foreach (var args in new[] { new[] { "tables", other.DbPath }, ["scan", other.DbPath, "--entity", "Blog"] })
        {
            var (exit, run) = Lsm(args);
            run.AssertOneErrorLine(exit, ExitCodes.BadInput, "holds no EF catalog");
        }
    }

    [Theory]
    [InlineData("tables")]
    [InlineData("catalog")]
    [InlineData("scan")]
    [InlineData("get")]
    public void While_another_process_has_the_database_open_the_entity_commands_read_it(string command)
    {
        // The application: the provider's crash worker saves in a loop on its own EF database until it is killed.
        var path = Path.Combine(_folder.Path, "ledger");
        using var application = new CrashWorkerProcess("EFCore.Lsm.FunctionalTests.CrashWorker.dll", [path, "0", "2"]);
        Assert.True(application.WaitForLines(2, TimeSpan.FromMinutes(2)), "the worker never acknowledged a save: " + application.Errors);

        string[] args = command switch
        {
            "scan" => ["scan", path, "--entity", "LedgerEntry"],
            "get" => ["get", path, "--entity", "Counter", "1"],
            _ => [command, path],
        };
        var (exit, run) = Lsm(args);

        // The entity commands open the database read-only (no lock, no write), so they answer beside the writer.
        Assert.True(exit == 0, $"exit {exit}: {run.Error}");
        Assert.NotEmpty(run.Out);
    }

    private static (int Exit, ToolRun Run) Lsm(params string[] args)
    {
        var run = new ToolRun();
        var exit = LsmCommandLine.Invoke(args, run.Output);
        return (exit, run);
    }
}
