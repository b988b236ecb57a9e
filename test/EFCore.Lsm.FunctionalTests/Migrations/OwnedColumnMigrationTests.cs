using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// Column operations on members of owned references (nested maps of their owner's row) and of complex values (pairs of the
/// row itself), under the column names EF's relational conventions give them (<c>Sender_Name</c>, <c>Sender_Geo_Lat</c>,
/// <c>Size_Code</c>): rows before and after, Up then Down, history and pending migrations, checked against the values the
/// migrations wrote (a reference model of the rows).
/// </summary>
public sealed class OwnedColumnMigrationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AddColumn_of_owned_and_complex_members_reads_existing_rows_with_defaults_and_registers_nothing_more()
    {
        using (var context = new ParcelAddContext(_temp.Db()))
        {
            Assert.Equal([ParcelAddInitial.Id, ParcelAddColumns.Id], context.Database.GetPendingMigrations());
            context.Database.Migrate(ParcelAddInitial.Id);
            var before = StoreDump.Rows(context);
            Assert.Equal([ParcelAddColumns.Id], context.Database.GetPendingMigrations());

            context.Database.Migrate();
            Assert.Empty(context.Database.GetPendingMigrations());
            Assert.Equal([ParcelAddInitial.Id, ParcelAddColumns.Id], context.Database.GetAppliedMigrations());

            // AddColumn writes no row: the bytes are those the first migration wrote.
            Assert.Equal(before, StoreDump.Rows(context));
            Assert.Contains(
                "Sender/Geo:EFCore.Lsm:OwnedReference", string.Join("\n", StoreDump.Schema(StoreDump.Store(context))), StringComparison.Ordinal);
        }

        using (var context = new ParcelAddContext(_temp.Db()))
        {
            // The catalog the migrations built is the model's: opening registers nothing.
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
            Assert.Equal(
                [
                    (1, "a", 10, "c", "ann", (int?)5, (double?)null),
                    (2, "b", 20, "c", null, null, null),
                    (3, "c", 30, "c", "cid", 5, null),
                ],
                Read(context));

            var first = context.Parcels.Single(p => p.Id == 1);
            first.Sender!.Geo = new ParcelGeo { Lat = 1.5 };
            first.Sender.Rank = 7;
            first.Size.Code = "x";
            context.Parcels.Add(new Parcel { Id = 4, Label = "d", Size = new ParcelSize { Width = 40, Code = "y" } });
            context.SaveChanges();
        }

        using (var context = new ParcelAddContext(_temp.Db()))
        {
            Assert.Equal(
                [
                    (1, "a", 10, "x", "ann", (int?)7, (double?)1.5),
                    (2, "b", 20, "c", null, null, null),
                    (3, "c", 30, "c", "cid", 5, null),
                    (4, "d", 40, "y", null, null, null),
                ],
                Read(context));
        }
    }

    [Fact]
    public void AlterColumn_to_required_of_a_complex_member_of_a_derived_type_skips_the_rows_of_sibling_types()
    {
        using var context = new KennelContext(_temp.Db());

        // Failed before: the declaring type of the member is the complex type, so every row, the cat's too, was checked.
        context.Database.Migrate();

        Assert.Equal([KennelInitial.Id, KennelRequireLevel.Id], context.Database.GetAppliedMigrations());
        Assert.Equal(3, context.Pets.OfType<KennelDog>().Single().Care.Level);
        Assert.Single(context.Pets.OfType<KennelCat>());
    }

    private static List<(int, string, int, string, string?, int?, double?)> Read(ParcelAddContext context) =>
    [
        .. context.Parcels.AsNoTracking().OrderBy(p => p.Id).AsEnumerable()
            .Select(p => (p.Id, p.Label, p.Size.Width, p.Size.Code, p.Sender?.Name, p.Sender?.Rank, p.Sender?.Geo?.Lat)),
    ];
}

public sealed class Parcel
{
    public int Id { get; set; }

    public string Label { get; set; } = "";

    public ParcelSize Size { get; set; } = new();

    public ParcelSender? Sender { get; set; }
}

public sealed class ParcelSize
{
    public int Width { get; set; }

    public string Code { get; set; } = "";
}

public sealed class ParcelSender
{
    public string? Name { get; set; }

    public int Rank { get; set; }

    public ParcelGeo? Geo { get; set; }
}

public sealed class ParcelGeo
{
    public double Lat { get; set; }
}

public sealed class ParcelAddContext(string path) : DbContext
{
    public DbSet<Parcel> Parcels => Set<Parcel>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path, o => o.MigrationBatchRows(2));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var parcel = modelBuilder.Entity<Parcel>();
        parcel.Property(p => p.Id).ValueGeneratedNever();
        parcel.ComplexProperty(p => p.Size);
        parcel.OwnsOne(p => p.Sender, s => s.OwnsOne(x => x.Geo));
    }
}

[DbContext(typeof(ParcelAddContext))]
[Migration(Id)]
public sealed class ParcelAddInitial : Migration
{
    public const string Id = "20250501000001_Parcels";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Parcels",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                Label = table.Column<string>(nullable: false),
                Size_Width = table.Column<int>(nullable: false),
                Sender_Name = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Parcels", x => x.Id));
        migrationBuilder.InsertData(
            table: "Parcels",
            columns: ["Id", "Label", "Size_Width", "Sender_Name"],
            values: new object?[,] { { 1, "a", 10, "ann" }, { 2, "b", 20, null }, { 3, "c", 30, "cid" } });
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Parcels");
}

[DbContext(typeof(ParcelAddContext))]
[Migration(Id)]
public sealed class ParcelAddColumns : Migration
{
    public const string Id = "20250501000002_Members";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "Size_Code", table: "Parcels", nullable: false, defaultValue: "c");
        migrationBuilder.AddColumn<int>(name: "Sender_Rank", table: "Parcels", nullable: true, defaultValue: 5);
        migrationBuilder.AddColumn<double>(name: "Sender_Geo_Lat", table: "Parcels", nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "Sender_Geo_Lat", table: "Parcels");
        migrationBuilder.DropColumn(name: "Sender_Rank", table: "Parcels");
        migrationBuilder.DropColumn(name: "Size_Code", table: "Parcels");
    }
}

public class KennelPet
{
    public int Id { get; set; }
}

public sealed class KennelDog : KennelPet
{
    public KennelCare Care { get; set; } = new();
}

public sealed class KennelCat : KennelPet
{
    public bool? Indoor { get; set; }
}

public sealed class KennelCare
{
    public int Level { get; set; }
}

public sealed class KennelContext(string path) : DbContext
{
    public DbSet<KennelPet> Pets => Set<KennelPet>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<KennelPet>().ToTable("Pets").Property(a => a.Id).ValueGeneratedNever();
        modelBuilder.Entity<KennelDog>().ComplexProperty(d => d.Care);
        modelBuilder.Entity<KennelCat>();
    }
}

[DbContext(typeof(KennelContext))]
[Migration(Id)]
public sealed class KennelInitial : Migration
{
    public const string Id = "20250501000001_Pets";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Pets",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                Discriminator = table.Column<string>(nullable: false),
                Care_Level = table.Column<int>(nullable: true),
                Indoor = table.Column<bool>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Pets", x => x.Id));
        migrationBuilder.InsertData(
            table: "Pets",
            columns: ["Id", "Discriminator", "Care_Level", "Indoor"],
            values: new object?[,] { { 1, "KennelDog", 3, null }, { 2, "KennelCat", null, true } });
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Pets");
}

[DbContext(typeof(KennelContext))]
[Migration(Id)]
public sealed class KennelRequireLevel : Migration
{
    public const string Id = "20250501000002_RequireLevel";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Care_Level", table: "Pets", nullable: false, oldClrType: typeof(int), oldNullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Care_Level", table: "Pets", nullable: true, oldClrType: typeof(int));
}
