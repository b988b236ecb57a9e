using System.Text.Json;
using EFCore.Lsm.TestUtilities;
using EFCore.Lsm.Tool.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary>
/// scan --entity and get --entity show a complex collection as one column holding its elements, each by member name
/// (nested complex members by their path within the element), and never its element members as columns of their own.
/// </summary>
public sealed class ComplexCollectionCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public ComplexCollectionCommandTests()
    {
        using (var context = new CartContext(_folder.DbPath))
        {
            context.Add(new Cart { Id = 1, Lines = [new Line { Product = "pen", Size = new Size { Width = 2 } }, new Line { Product = "ink" }] });
            context.Add(new Cart { Id = 2 });
            context.SaveChanges();
        }

        EFCore.Lsm.Storage.LsmStorePool.Close(_folder.DbPath);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Scan_entity_shows_a_complex_collection_as_one_column_of_elements()
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["scan", _folder.DbPath, "--entity", "Cart"], run.Output));
        Assert.Matches(@"^Id\s+Lines$", run.OutLines[0]);
        Assert.Matches(@"^1\s+\[\{Product=pen, Size\.Width=2\}, \{Product=ink, Size\.Width=0\}\]$", run.OutLines[1]);
        Assert.Matches(@"^2\s+\[\]$", run.OutLines[2]);
    }

    [Fact]
    public void Get_entity_as_json_nests_the_elements()
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["get", _folder.DbPath, "--entity", "Cart", "1", "--format", "json"], run.Output));
        using var json = JsonDocument.Parse(run.Out);
        var row = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement[0] : json.RootElement;
        Assert.Equal(["pen", "ink"], row.GetProperty("Lines").EnumerateArray().Select(s => s.GetProperty("Product").GetString()));
    }

    public class Cart
    {
        public int Id { get; set; }

        public List<Line> Lines { get; set; } = [];
    }

    public class Line
    {
        public string Product { get; set; } = "";

        public Size Size { get; set; } = new();
    }

    public class Size
    {
        public double Width { get; set; }
    }

    private sealed class CartContext(string path) : DbContext
    {
        protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseLsm(path);

        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Cart>(b =>
            {
                b.Property(c => c.Id).ValueGeneratedNever();
                b.ComplexCollection(c => c.Lines, l => l.ComplexProperty(x => x.Size));
            });
    }
}
