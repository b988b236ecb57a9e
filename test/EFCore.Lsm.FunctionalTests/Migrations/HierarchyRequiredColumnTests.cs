using EFCore.Lsm.FunctionalTests.Migrations.Scenarios;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// <c>AlterColumn</c> to non-nullable on a column of a derived type of a table-per-hierarchy: rows of sibling types do not
/// store the column, so only a row of a type that stores it and has no value stops the migration.
/// </summary>
public sealed class HierarchyRequiredColumnTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_derived_column_becomes_required_when_every_row_of_its_type_has_a_value_whatever_the_sibling_rows_hold()
    {
        using var context = new RequiredLegsContext(_temp.Db());

        // Failed before: the cat row (a sibling type, which has no Legs) was taken for a row without a value.
        context.Database.Migrate();

        Assert.Equal([RequiredLegsCreate.Id, RequiredLegsAlter.Id], context.Database.GetAppliedMigrations());
        Assert.Equal(4, context.Animals.OfType<LegsDog>().Single().Legs);
        Assert.True(context.Animals.OfType<LegsCat>().Single().Indoor);
    }

    [Fact]
    public void A_row_of_the_column_s_own_type_without_a_value_still_stops_the_migration_and_nothing_changes()
    {
        using var context = new RequiredLegsMissingContext(_temp.Db());

        var error = Assert.Throws<InvalidOperationException>(() => context.Database.Migrate());

        Assert.Contains("AlterColumn 'Legs' on 'Animals'", error.Message);
        Assert.Contains("no longer nullable", error.Message);
        Assert.Equal([RequiredLegsMissingCreate.Id], context.Database.GetAppliedMigrations());
    }
}

public class LegsAnimal
{
    public int Id { get; set; }
}

public sealed class LegsDog : LegsAnimal
{
    public int Legs { get; set; }
}

public sealed class LegsCat : LegsAnimal
{
    public bool? Indoor { get; set; }
}

public abstract class LegsContextBase(string path) : ScenarioContext(path)
{
    public DbSet<LegsAnimal> Animals => Set<LegsAnimal>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<LegsAnimal>().ToTable("Animals").Property(a => a.Id).ValueGeneratedNever();
        modelBuilder.Entity<LegsDog>();
        modelBuilder.Entity<LegsCat>();
    }
}

public sealed class RequiredLegsContext(string path) : LegsContextBase(path);

public sealed class RequiredLegsMissingContext(string path) : LegsContextBase(path);

/// <summary>The Animals table with a nullable Legs column, and its rows (<paramref name="rows"/>: Id, Discriminator, Legs, Indoor).</summary>
internal static class LegsTable
{
    public static void Create(MigrationBuilder migrationBuilder, object?[,] rows)
    {
        migrationBuilder.CreateTable(
            name: "Animals",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                Discriminator = table.Column<string>(nullable: false),
                Legs = table.Column<int>(nullable: true),
                Indoor = table.Column<bool>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Animals", x => x.Id));
        migrationBuilder.InsertData(table: "Animals", columns: ["Id", "Discriminator", "Legs", "Indoor"], values: rows);
    }

    public static void RequireLegs(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Legs", table: "Animals", nullable: false, oldClrType: typeof(int), oldNullable: true);

    public static void AllowNullLegs(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Legs", table: "Animals", nullable: true, oldClrType: typeof(int));
}

[DbContext(typeof(RequiredLegsContext))]
[Migration(Id)]
public sealed class RequiredLegsCreate : Migration
{
    public const string Id = "20250401000001_Animals";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        LegsTable.Create(migrationBuilder, new object?[,] { { 1, "LegsDog", 4, null }, { 2, "LegsCat", null, true } });

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Animals");
}

[DbContext(typeof(RequiredLegsContext))]
[Migration(Id)]
public sealed class RequiredLegsAlter : Migration
{
    public const string Id = "20250401000002_RequireLegs";

    protected override void Up(MigrationBuilder migrationBuilder) => LegsTable.RequireLegs(migrationBuilder);

    protected override void Down(MigrationBuilder migrationBuilder) => LegsTable.AllowNullLegs(migrationBuilder);
}

[DbContext(typeof(RequiredLegsMissingContext))]
[Migration(Id)]
public sealed class RequiredLegsMissingCreate : Migration
{
    public const string Id = "20250401000001_Animals";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        LegsTable.Create(
            migrationBuilder, new object?[,] { { 1, "LegsDog", 4, null }, { 2, "LegsCat", null, true }, { 3, "LegsDog", null, null } });

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Animals");
}

[DbContext(typeof(RequiredLegsMissingContext))]
[Migration(Id)]
public sealed class RequiredLegsMissingAlter : Migration
{
    public const string Id = "20250401000002_RequireLegs";

    protected override void Up(MigrationBuilder migrationBuilder) => LegsTable.RequireLegs(migrationBuilder);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Animals");
}
