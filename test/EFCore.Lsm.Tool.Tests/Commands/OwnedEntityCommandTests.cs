using System.Text.Json;
using EFCore.Lsm.TestUtilities;
using EFCore.Lsm.Tool.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Tool.Tests.Commands;

/// <summary>scan --entity and get --entity show owned values nested in their owner's row, by member name.</summary>
public sealed class OwnedEntityCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public OwnedEntityCommandTests()
    {
        using (var context = new ParcelContext(_folder.DbPath))
        {
            context.Add(new Parcel
            {
                Id = 1,
                To = new Destination { City = "Oslo", Zip = 150 },
                Stops = [new Destination { City = "Bergen", Zip = 5003 }, new Destination { City = "Lima" }],
            });
            context.Add(new Parcel { Id = 2 });
            context.SaveChanges();
        }

        EFCore.Lsm.Storage.LsmStorePool.Close(_folder.DbPath);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Scan_entity_shows_owned_values_nested_with_member_names()
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["scan", _folder.DbPath, "--entity", "Parcel"], run.Output));
        // Columns by id: the owned navigations got theirs after the properties, in name order.
        Assert.Matches(@"^Id\s+Stops\s+To$", run.OutLines[0]);
        Assert.Matches(@"^1\s+\[\{Id=\d+, City=Bergen, Zip=5003\}, \{Id=\d+, City=Lima, Zip=null\}\]\s+\{City=Oslo, Zip=150\}$", run.OutLines[1]);
        Assert.Matches(@"^2\s+\[\]\s+null$", run.OutLines[2]);
    }

    [Fact]
    public void Get_entity_as_json_nests_owned_values()
    {
        var run = new ToolRun();
        Assert.Equal(0, LsmCommandLine.Invoke(["get", _folder.DbPath, "--entity", "Parcel", "1", "--format", "json"], run.Output));
        using var json = JsonDocument.Parse(run.Out);
        var row = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement[0] : json.RootElement;
        Assert.Equal("Oslo", row.GetProperty("To").GetProperty("City").GetString());
        Assert.Equal(["Bergen", "Lima"], row.GetProperty("Stops").EnumerateArray().Select(s => s.GetProperty("City").GetString()));
    }

    public class Parcel
    {
        public int Id { get; set; }

        public Destination? To { get; set; }

        public List<Destination> Stops { get; set; } = [];
    }

    public class Destination
    {
        public string City { get; set; } = "";

        public int? Zip { get; set; }
    }

    private sealed class ParcelContext(string path) : DbContext
    {
        protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseLsm(path);

        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Parcel>(b =>
            {
                b.Property(p => p.Id).ValueGeneratedNever();
                b.OwnsOne(p => p.To);
                b.OwnsMany(p => p.Stops);
            });
    }
}
