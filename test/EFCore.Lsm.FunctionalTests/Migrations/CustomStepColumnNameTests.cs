using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// A custom step (<c>LsmOperation</c> + <c>UpdateRows</c>) names the columns of owned-reference and complex members as EF's
/// migrations do (<c>Owner_City</c>, <c>Owner_Geo_Lat</c>, <c>Dims_Width</c>), reads them from the owned value's nested map
/// and writes them there (creating the owned value when it was null), checked by reading the rows back through the model.
/// </summary>
public sealed class CustomStepColumnNameTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void UpdateRows_reads_and_writes_owned_members_by_their_column_names()
    {
        // Regression: the row listed the stored names (Owner/City) and read them at the top level only, so "Owner_City" was
        // no column and "Owner/City" read null and wrote a value no reader finds. Failed before: ArgumentException.
        ToteUppercase.Seen.Clear();
        using (var context = new ToteContext(_temp.Db()))
        {
            context.Database.Migrate();
        }

        Assert.Equal(
            [
                "1 Dims_Width,Id,Label,Owner_City,Owner_Geo_Lat,Owner_Name 10 ann Oslo 59",
                "2 Dims_Width,Id,Label,Owner_City,Owner_Geo_Lat,Owner_Name 20 - - -",
                "3 Dims_Width,Id,Label,Owner_City,Owner_Geo_Lat,Owner_Name 30 cid - -",
            ],
            ToteUppercase.Seen);

        using (var context = new ToteContext(_temp.Db()))
        {
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
            var totes = context.Totes.OrderBy(t => t.Id).AsNoTracking().ToList()
                .Select(t => (t.Id, t.Dims.Width, t.Owner?.Name, t.Owner?.City, t.Owner?.Geo?.Lat))
                .ToList();
            Assert.Equal(
                [
                    (1, 20, "ann", "OSLO", (int?)60),
                    (2, 40, null, "none", 1),
                    (3, 60, "cid", "none", 1),
                ],
                totes);
        }
    }
}

public sealed class Tote
{
    public int Id { get; set; }

    public string Label { get; set; } = "";

    public ToteDims Dims { get; set; } = new();

    public ToteOwner? Owner { get; set; }
}

public sealed class ToteDims
{
    public int Width { get; set; }
}

public sealed class ToteOwner
{
    public string? Name { get; set; }

    public string? City { get; set; }

    public ToteGeo? Geo { get; set; }
}

public sealed class ToteGeo
{
    public int Lat { get; set; }
}

public sealed class ToteContext(string path) : DbContext
{
    public DbSet<Tote> Totes => Set<Tote>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var tote = modelBuilder.Entity<Tote>();
        tote.Property(p => p.Id).ValueGeneratedNever();
        tote.ComplexProperty(p => p.Dims);
        tote.OwnsOne(p => p.Owner, o => o.OwnsOne(x => x.Geo));
    }
}

[DbContext(typeof(ToteContext))]
[Migration(Id)]
public sealed class ToteInitial : Migration
{
    public const string Id = "20250601000001_Totes";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Totes",
            columns: t => new
            {
                Id = t.Column<int>(nullable: false),
                Label = t.Column<string>(nullable: false),
                Dims_Width = t.Column<int>(nullable: false),
                Owner_Name = t.Column<string>(nullable: true),
                Owner_City = t.Column<string>(nullable: true),
                Owner_Geo_Lat = t.Column<int>(nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_Totes", x => x.Id));
        migrationBuilder.InsertData(
            table: "Totes",
            columns: ["Id", "Label", "Dims_Width", "Owner_Name", "Owner_City", "Owner_Geo_Lat"],
            values: new object?[,]
            {
                { 1, "a", 10, "ann", "Oslo", 59 },
                { 2, "b", 20, null, null, null },
                { 3, "c", 30, "cid", null, null },
            });
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Totes");
}

[DbContext(typeof(ToteContext))]
[Migration(Id)]
public sealed class ToteUppercase : Migration
{
    public const string Id = "20250601000002_Uppercase";

    /// <summary>What the step saw of each row: id, columns, then Dims_Width, Owner_Name, Owner_City, Owner_Geo_Lat ("-" for null).</summary>
    public static readonly List<string> Seen = [];

    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.LsmOperation("uppercase cities", m => m.UpdateRows("Totes", row =>
        {
            Seen.Add(string.Join(
                " ",
                row["Id"],
                string.Join(",", row.Columns.Order(StringComparer.Ordinal)),
                row["Dims_Width"],
                row["Owner_Name"] ?? "-",
                row["Owner_City"] ?? "-",
                row["Owner_Geo_Lat"] ?? "-"));
            row["Owner_City"] = ((string?)row["Owner_City"])?.ToUpperInvariant() ?? "none";
            row["Owner_Geo_Lat"] = ((int?)row["Owner_Geo_Lat"] ?? 0) + 1;
            row["Dims_Width"] = (int)row["Dims_Width"]! * 2;
        }));
}
