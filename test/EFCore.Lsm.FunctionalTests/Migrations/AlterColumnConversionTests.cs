using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// <c>AlterColumn</c> converting a column reads the stored values with that column's type: property ids are per table, so
/// another table's property with the same id and another type must not be the one consulted.
/// </summary>
public sealed class AlterColumnConversionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_conversion_in_the_second_table_reads_its_values_with_its_own_type_not_the_first_table_s()
    {
        using var context = new TallyContext(_temp.Db());

        // Failed before: the old values were read with the codec of the first table holding a property of that id (a string).
        context.Database.Migrate();

        Assert.Equal([(1, 2.0), (2, 5.0)], context.Tallies.AsNoTracking().OrderBy(t => t.Id).AsEnumerable().Select(t => (t.Id, t.Count)));
        Assert.Equal(["a", "b"], context.Tags.AsNoTracking().OrderBy(t => t.Id).Select(t => t.Name));
    }
}

public sealed class TallyBadge
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

public sealed class TallyCount
{
    public int Id { get; set; }

    public double Count { get; set; }
}

public sealed class TallyContext(string path) : DbContext
{
    public DbSet<TallyBadge> Tags => Set<TallyBadge>();

    public DbSet<TallyCount> Tallies => Set<TallyCount>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<TallyBadge>().Property(t => t.Id).ValueGeneratedNever();
        modelBuilder.Entity<TallyCount>().Property(t => t.Id).ValueGeneratedNever();
    }
}

[DbContext(typeof(TallyContext))]
[Migration("20250504000001_Tallies")]
public sealed class TalliesInitial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // Each table's second property has id 2: a string in Tags (whose entity type the catalog lists first), an int in Tallies.
        migrationBuilder.CreateTable(
            name: "Tags",
            columns: t => new { Id = t.Column<int>(nullable: false), Name = t.Column<string>(nullable: false) },
            constraints: t => t.PrimaryKey("PK_Tags", x => x.Id));
        migrationBuilder.CreateTable(
            name: "Tallies",
            columns: t => new { Id = t.Column<int>(nullable: false), Count = t.Column<int>(nullable: false) },
            constraints: t => t.PrimaryKey("PK_Tallies", x => x.Id));
        migrationBuilder.InsertData(table: "Tags", columns: ["Id", "Name"], values: new object[,] { { 1, "a" }, { 2, "b" } });
        migrationBuilder.InsertData(table: "Tallies", columns: ["Id", "Count"], values: new object[,] { { 1, 2 }, { 2, 5 } });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("Tallies");
        migrationBuilder.DropTable("Tags");
    }
}

[DbContext(typeof(TallyContext))]
[Migration("20250504000002_CountAsDouble")]
public sealed class TalliesCountAsDouble : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<double>(name: "Count", table: "Tallies", nullable: false, oldClrType: typeof(int));

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Count", table: "Tallies", nullable: false, oldClrType: typeof(double));
}
