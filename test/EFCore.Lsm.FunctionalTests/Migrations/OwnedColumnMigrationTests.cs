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

    [Fact]
    public void RenameColumn_and_DropColumn_of_owned_and_complex_members_keep_or_retire_their_values_and_Down_restores_the_rows()
    {
        List<string> before;
        using (var context = new CrateShapeContext(_temp.Db()))
        {
            context.Database.Migrate(CrateInitial.Id);
            before = StoreDump.Rows(context);
            Assert.Equal([CrateShape.Id], context.Database.GetPendingMigrations());
            context.Database.Migrate();
            Assert.Equal([CrateInitial.Id, CrateShape.Id], context.Database.GetAppliedMigrations());
            Assert.Empty(context.Database.GetPendingMigrations());

            // Renames and drops change records, never rows.
            Assert.Equal(before, StoreDump.Rows(context));
            var schema = string.Join("\n", StoreDump.Schema(StoreDump.Store(context)));
            Assert.Contains("Size.Depth:System.Int32", schema, StringComparison.Ordinal);
            Assert.Contains("Sender/PostCode:System.String", schema, StringComparison.Ordinal);
            Assert.DoesNotContain("Size.Note", schema, StringComparison.Ordinal);
            Assert.DoesNotContain("Sender/Code", schema, StringComparison.Ordinal);
        }

        using (var context = new CrateShapeContext(_temp.Db()))
        {
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
            var expected = Enumerable.Range(0, CrateModels.Rows.GetLength(0))
                .Select(r => ((int)CrateModels.Rows[r, 0]!, (int?)CrateModels.Rows[r, 3], (string?)CrateModels.Rows[r, 5], (string?)CrateModels.Rows[r, 6],
                    (int?)CrateModels.Rows[r, 8]))
                .ToList();
            Assert.Equal(
                expected,
                context.Crates.AsNoTracking().OrderBy(c => c.Id).AsEnumerable()
                    .Select(c => (c.Id, c.Size.Depth, c.Sender?.Name, c.Sender?.PostCode, c.Sender?.Geo?.Lat)));
            Assert.Equal([4], context.Crates.Where(c => c.Sender!.PostCode == "4000").Select(c => c.Id));

            context.Database.Migrate(CrateInitial.Id);
            Assert.Equal(before, StoreDump.Rows(context));
            Assert.Equal([CrateShape.Id], context.Database.GetPendingMigrations());
        }
    }

    [Fact]
    public void RenameColumn_of_an_owned_member_to_a_column_of_another_map_is_refused_naming_both_and_nothing_changes()
    {
        using var context = new CrateMoveContext(_temp.Db());
        var error = Assert.Throws<NotSupportedException>(() => context.Database.Migrate());
        Assert.Contains("RenameColumn 'Sender_Zip' on 'Crates' to 'Label2'", error.Message);
        Assert.Contains("'Sender/Zip'", error.Message);
        Assert.Equal([CrateMoveInitial.Id], context.Database.GetAppliedMigrations());
    }

    [Fact]
    public void AlterColumn_converts_owned_and_complex_members_in_their_maps_and_Down_restores_the_original_bytes()
    {
        List<string> before;
        using (var context = new BinAlterContext(_temp.Db()))
        {
            context.Database.Migrate(BinInitial.Id);
            before = StoreDump.Rows(context);
            context.Database.Migrate();
            Assert.Equal([BinInitial.Id, BinAlter.Id], context.Database.GetAppliedMigrations());
            Assert.Empty(context.Database.GetPendingMigrations());
            Assert.NotEqual(before, StoreDump.Rows(context));
        }

        using (var context = new BinAlterContext(_temp.Db()))
        {
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
            var rows = CrateModels.NamedRows;
            var expected = Enumerable.Range(0, rows.GetLength(0))
                .Select(r => ((int)rows[r, 0]!, (double)(int)rows[r, 2]!, (string?)rows[r, 5], (long?)(int?)rows[r, 7], (double?)(int?)rows[r, 8]))
                .ToList();
            Assert.Equal(
                expected,
                context.Bins.AsNoTracking().OrderBy(c => c.Id).AsEnumerable()
                    .Select(c => (c.Id, c.Size.Width, c.Sender?.Name, c.Sender?.Code, c.Sender?.Geo?.Lat)));
            Assert.Equal([3], context.Bins.Where(b => b.Sender!.Code > 8L).Select(b => b.Id));
            var bin = context.Bins.Single(b => b.Id == 1);
            bin.Sender!.Geo!.Lat = 59.5;
            bin.Size.Width = 10.25;
            context.SaveChanges();
            Assert.Equal((10.25, 59.5), context.Bins.AsNoTracking().Where(b => b.Id == 1).AsEnumerable().Select(b => (b.Size.Width, b.Sender!.Geo!.Lat)).Single());
            bin.Sender.Geo.Lat = 59;
            bin.Size.Width = 10;
            context.SaveChanges();

            context.Database.Migrate(BinInitial.Id);
            Assert.Equal(before, StoreDump.Rows(context));
            Assert.Equal([BinInitial.Id], context.Database.GetAppliedMigrations());
        }
    }

    [Fact]
    public void AlterColumn_of_owned_members_refuses_a_null_in_an_owned_value_and_a_value_that_does_not_fit_and_nothing_changes()
    {
        using var context = new BinRefusedContext(_temp.Db());
        context.Database.Migrate(BinRefusedInitial.Id);
        var before = StoreDump.Rows(context);
        var error = Assert.Throws<InvalidOperationException>(() => context.Database.Migrate(BinRequireName.Id));
        Assert.Contains("AlterColumn 'Sender_Name' on 'Bins'", error.Message);
        Assert.Contains("no longer nullable", error.Message);

        Assert.Equal([BinRefusedInitial.Id], context.Database.GetAppliedMigrations());
        Assert.Equal(before, StoreDump.Rows(context));

        using var narrow = new BinNarrowContext(_temp.Db("narrow"));
        error = Assert.Throws<InvalidOperationException>(() => narrow.Database.Migrate());
        Assert.Contains("AlterColumn 'Sender_Code' on 'Bins'", error.Message);
        Assert.Contains("300", error.Message);
        Assert.Equal([BinRefusedInitial.Id], narrow.Database.GetAppliedMigrations());
    }

    [Fact]
    public void A_column_operation_on_the_table_EF_would_give_owned_collection_elements_is_refused_naming_the_collection()
    {
        using var context = new TenantContext(o => o.UseLsm(_temp.Db()));
        var error = Assert.Throws<NotSupportedException>(() => context.Database.Migrate());
        Assert.Contains("AddColumn 'Nickname' on 'TenantPet'", error.Message);
        Assert.Contains("owned collection 'Tenant.Pets' (OwnsMany)", error.Message);
        Assert.Equal([TenantsInitial.Id], context.Database.GetAppliedMigrations());
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

public sealed class Crate
{
    public int Id { get; set; }

    public string Label { get; set; } = "";

    public CrateSize Size { get; set; } = new();

    public CrateSender? Sender { get; set; }
}

public sealed class CrateSize
{
    public int Width { get; set; }

    public int? Depth { get; set; }
}

public sealed class CrateSender
{
    public string? Name { get; set; }

    public string? PostCode { get; set; }

    public CrateGeo? Geo { get; set; }
}

public sealed class CrateGeo
{
    public int Lat { get; set; }
}

/// <summary>After <see cref="CrateShape"/>: <c>Size.Height</c> renamed <c>Depth</c>, <c>Sender.Zip</c> renamed <c>PostCode</c>, <c>Size.Note</c> and <c>Sender.Code</c> dropped.</summary>
public sealed class CrateShapeContext(string path) : DbContext
{
    public DbSet<Crate> Crates => Set<Crate>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path, o => o.MigrationBatchRows(2));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var crate = modelBuilder.Entity<Crate>();
        crate.Property(p => p.Id).ValueGeneratedNever();
        crate.ComplexProperty(p => p.Size);
        crate.OwnsOne(p => p.Sender, s => s.OwnsOne(x => x.Geo));
    }
}

/// <summary>The model of the crates table before <see cref="CrateShape"/>, as a migration's Designer file writes it (property bags).</summary>
internal static class CrateModels
{
    private const string Namespace = "EFCore.Lsm.FunctionalTests.Migrations.";

    public static void Initial(ModelBuilder modelBuilder, string type = "Crate", string table = "Crates") =>
        modelBuilder.Entity(Namespace + type, b =>
        {
            b.Property<int>("Id").HasColumnType("System.Int32");
            b.Property<string>("Label").IsRequired().HasColumnType("System.String");
            b.HasKey("Id");
            b.ToTable(table);
            b.ComplexProperty(typeof(Dictionary<string, object>), "Size", Namespace + type + ".Size#" + type + "Size", c =>
            {
                c.IsRequired();
                c.Property<int>("Width").HasColumnType("System.Int32");
                c.Property<int?>("Height").HasColumnType("System.Int32");
                c.Property<string>("Note").HasColumnType("System.String");
            });
            b.OwnsOne(Namespace + type + "Sender", "Sender", s =>
            {
                s.Property<int>(type + "Id").HasColumnType("System.Int32");
                s.Property<string>("Name").HasColumnType("System.String");
                s.Property<string>("Zip").HasColumnType("System.String");
                s.Property<int?>("Code").HasColumnType("System.Int32");
                s.HasKey(type + "Id");
                s.ToTable(table);
                s.WithOwner().HasForeignKey(type + "Id");
                s.OwnsOne(Namespace + type + "Geo", "Geo", g =>
                {
                    g.Property<int>(type + "Sender" + type + "Id").HasColumnType("System.Int32");
                    g.Property<int>("Lat").HasColumnType("System.Int32");
                    g.HasKey(type + "Sender" + type + "Id");
                    g.ToTable(table);
                    g.WithOwner().HasForeignKey(type + "Sender" + type + "Id");
                });
            });
        });

    public static void Create(MigrationBuilder migrationBuilder, object?[,] rows, string table = "Crates")
    {
        migrationBuilder.CreateTable(
            name: table,
            columns: t => new
            {
                Id = t.Column<int>(nullable: false),
                Label = t.Column<string>(nullable: false),
                Size_Width = t.Column<int>(nullable: false),
                Size_Height = t.Column<int>(nullable: true),
                Size_Note = t.Column<string>(nullable: true),
                Sender_Name = t.Column<string>(nullable: true),
                Sender_Zip = t.Column<string>(nullable: true),
                Sender_Code = t.Column<int>(nullable: true),
                Sender_Geo_Lat = t.Column<int>(nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_" + table, x => x.Id));
        migrationBuilder.InsertData(
            table: table,
            columns: ["Id", "Label", "Size_Width", "Size_Height", "Size_Note", "Sender_Name", "Sender_Zip", "Sender_Code", "Sender_Geo_Lat"],
            values: rows);
    }

    /// <summary>Id, Label, Size_Width, Size_Height, Size_Note, Sender_Name, Sender_Zip, Sender_Code, Sender_Geo_Lat.</summary>
    public static readonly object?[,] Rows = new object?[,]
    {
        { 1, "a", 10, 1, "n1", "ann", "0150", 7, 59 },
        { 2, "b", 20, null, null, null, null, null, null },
        { 3, "c", 30, 3, "n3", "cid", null, 9, null },
        { 4, "d", 40, 4, null, null, "4000", null, 60 },
    };

    /// <summary>As <see cref="Rows"/>, and every sender has a name.</summary>
    public static readonly object?[,] NamedRows = new object?[,]
    {
        { 1, "a", 10, 1, "n1", "ann", "0150", 7, 59 },
        { 2, "b", 20, null, null, null, null, null, null },
        { 3, "c", 30, 3, "n3", "cid", null, 9, null },
        { 4, "d", 40, 4, null, "dan", "4000", null, 60 },
    };
}

[DbContext(typeof(CrateShapeContext))]
[Migration(Id)]
public sealed class CrateInitial : Migration
{
    public const string Id = "20250502000001_Crates";

    protected override void Up(MigrationBuilder migrationBuilder) => CrateModels.Create(migrationBuilder, CrateModels.Rows);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Crates");

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => CrateModels.Initial(modelBuilder);
}

[DbContext(typeof(CrateShapeContext))]
[Migration(Id)]
public sealed class CrateShape : Migration
{
    public const string Id = "20250502000002_Shape";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.RenameColumn(name: "Size_Height", table: "Crates", newName: "Size_Depth");
        migrationBuilder.RenameColumn(name: "Sender_Zip", table: "Crates", newName: "Sender_PostCode");
        migrationBuilder.DropColumn(name: "Size_Note", table: "Crates");
        migrationBuilder.DropColumn(name: "Sender_Code", table: "Crates");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<int>(name: "Sender_Code", table: "Crates", nullable: true);
        migrationBuilder.AddColumn<string>(name: "Size_Note", table: "Crates", nullable: true);
        migrationBuilder.RenameColumn(name: "Sender_PostCode", table: "Crates", newName: "Sender_Zip");
        migrationBuilder.RenameColumn(name: "Size_Depth", table: "Crates", newName: "Size_Height");
    }
}

public sealed class CrateMoveContext(string path) : DbContext
{
    public DbSet<Crate> Crates => Set<Crate>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var crate = modelBuilder.Entity<Crate>();
        crate.Property(p => p.Id).ValueGeneratedNever();
        crate.ComplexProperty(p => p.Size);
        crate.OwnsOne(p => p.Sender, s => s.OwnsOne(x => x.Geo));
    }
}

[DbContext(typeof(CrateMoveContext))]
[Migration(Id)]
public sealed class CrateMoveInitial : Migration
{
    public const string Id = "20250502000001_Crates";

    protected override void Up(MigrationBuilder migrationBuilder) => CrateModels.Create(migrationBuilder, CrateModels.Rows);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Crates");

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => CrateModels.Initial(modelBuilder);
}

[DbContext(typeof(CrateMoveContext))]
[Migration("20250502000002_Move")]
public sealed class CrateMove : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.RenameColumn(name: "Sender_Zip", table: "Crates", newName: "Label2");

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.RenameColumn(name: "Label2", table: "Crates", newName: "Sender_Zip");
}

public sealed class Bin
{
    public int Id { get; set; }

    public string Label { get; set; } = "";

    public BinSize Size { get; set; } = new();

    public BinSender? Sender { get; set; }
}

public sealed class BinSize
{
    public double Width { get; set; }

    public int? Height { get; set; }

    public string? Note { get; set; }
}

public sealed class BinSender
{
    public string? Name { get; set; }

    public string? Zip { get; set; }

    public long? Code { get; set; }

    public BinGeo? Geo { get; set; }
}

public sealed class BinGeo
{
    public double Lat { get; set; }
}

/// <summary>After <see cref="BinAlter"/>: <c>Size.Width</c> int to double, <c>Sender.Code</c> int to long, <c>Sender.Geo.Lat</c> int to double, <c>Sender.Name</c> required.</summary>
public sealed class BinAlterContext(string path) : DbContext
{
    public DbSet<Bin> Bins => Set<Bin>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path, o => o.MigrationBatchRows(2));

    protected override void OnModelCreating(ModelBuilder modelBuilder) => BinModel.Configure(modelBuilder);
}

internal static class BinModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        var bin = modelBuilder.Entity<Bin>();
        bin.Property(p => p.Id).ValueGeneratedNever();
        bin.ComplexProperty(p => p.Size);
        bin.OwnsOne(p => p.Sender, s => s.OwnsOne(x => x.Geo));
    }

    /// <summary>The bins of <see cref="CrateModels.Rows"/>: row 4's sender has no name, and row 1's code (300) does not fit a byte.</summary>
    public static void CreateRefused(MigrationBuilder migrationBuilder)
    {
        var rows = (object?[,])CrateModels.Rows.Clone();
        rows[0, 7] = 300;
        CrateModels.Create(migrationBuilder, rows, "Bins");
    }

    public static void Alter(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AlterColumn<double>(name: "Size_Width", table: "Bins", nullable: false, oldClrType: typeof(int));
        migrationBuilder.AlterColumn<string>(name: "Sender_Name", table: "Bins", nullable: false, oldClrType: typeof(string), oldNullable: true);
        migrationBuilder.AlterColumn<long>(name: "Sender_Code", table: "Bins", nullable: true, oldClrType: typeof(int), oldNullable: true);
        migrationBuilder.AlterColumn<double>(name: "Sender_Geo_Lat", table: "Bins", nullable: true, oldClrType: typeof(int), oldNullable: true);
    }

    public static void Unalter(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AlterColumn<int>(name: "Sender_Geo_Lat", table: "Bins", nullable: true, oldClrType: typeof(double), oldNullable: true);
        migrationBuilder.AlterColumn<int>(name: "Sender_Code", table: "Bins", nullable: true, oldClrType: typeof(long), oldNullable: true);
        migrationBuilder.AlterColumn<string>(name: "Sender_Name", table: "Bins", nullable: true, oldClrType: typeof(string));
        migrationBuilder.AlterColumn<int>(name: "Size_Width", table: "Bins", nullable: false, oldClrType: typeof(double));
    }
}

[DbContext(typeof(BinAlterContext))]
[Migration(Id)]
public sealed class BinInitial : Migration
{
    public const string Id = "20250503000001_Bins";

    protected override void Up(MigrationBuilder migrationBuilder) => CrateModels.Create(migrationBuilder, CrateModels.NamedRows, "Bins");

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Bins");

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => CrateModels.Initial(modelBuilder, "Bin", "Bins");
}

[DbContext(typeof(BinAlterContext))]
[Migration(Id)]
public sealed class BinAlter : Migration
{
    public const string Id = "20250503000002_Alter";

    protected override void Up(MigrationBuilder migrationBuilder) => BinModel.Alter(migrationBuilder);

    protected override void Down(MigrationBuilder migrationBuilder) => BinModel.Unalter(migrationBuilder);
}

public sealed class BinRefusedContext(string path) : DbContext
{
    public DbSet<Bin> Bins => Set<Bin>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder) => BinModel.Configure(modelBuilder);
}

[DbContext(typeof(BinRefusedContext))]
[Migration(Id)]
public sealed class BinRefusedInitial : Migration
{
    public const string Id = "20250503000001_Bins";

    protected override void Up(MigrationBuilder migrationBuilder) => BinModel.CreateRefused(migrationBuilder);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Bins");

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => CrateModels.Initial(modelBuilder, "Bin", "Bins");
}

[DbContext(typeof(BinRefusedContext))]
[Migration(Id)]
public sealed class BinRequireName : Migration
{
    public const string Id = "20250503000002_RequireName";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<string>(name: "Sender_Name", table: "Bins", nullable: false, oldClrType: typeof(string), oldNullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<string>(name: "Sender_Name", table: "Bins", nullable: true, oldClrType: typeof(string));
}

public sealed class BinNarrowContext(string path) : DbContext
{
    public DbSet<Bin> Bins => Set<Bin>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder) => BinModel.Configure(modelBuilder);
}

[DbContext(typeof(BinNarrowContext))]
[Migration(BinRefusedInitial.Id)]
public sealed class BinNarrowInitial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => BinModel.CreateRefused(migrationBuilder);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Bins");

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => CrateModels.Initial(modelBuilder, "Bin", "Bins");
}

[DbContext(typeof(BinNarrowContext))]
[Migration("20250503000002_NarrowCode")]
public sealed class BinNarrowCode : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<byte>(name: "Sender_Code", table: "Bins", nullable: true, oldClrType: typeof(int), oldNullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Sender_Code", table: "Bins", nullable: true, oldClrType: typeof(byte), oldNullable: true);
}

[DbContext(typeof(TenantContext))]
[Migration(Id)]
public sealed class TenantsInitial : Migration
{
    public const string Id = "20250505000001_Tenants";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateTable(
            name: "Tenants",
            columns: t => new { Id = t.Column<int>(nullable: false), Email = t.Column<string>(nullable: false) },
            constraints: t => t.PrimaryKey("PK_Tenants", x => x.Id));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Tenants");
}

[DbContext(typeof(TenantContext))]
[Migration("20250505000002_PetNickname")]
public sealed class TenantsPetNickname : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<string>(name: "Nickname", table: "TenantPet", nullable: false, defaultValue: "");

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropColumn(name: "Nickname", table: "TenantPet");
}
