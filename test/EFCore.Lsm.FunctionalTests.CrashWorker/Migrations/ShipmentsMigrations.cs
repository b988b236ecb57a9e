using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.CrashWorker.Migrations;

/// <summary>The model after the five migrations below, which use every column operation on owned-reference and complex members.</summary>
public sealed class Shipment
{
    public int Id { get; set; }

    public string Label { get; set; } = "";

    public ShipmentSize Size { get; set; } = new();

    public ShipmentSender? Sender { get; set; }
}

public sealed class ShipmentSize
{
    public double Width { get; set; }

    public int? Depth { get; set; }

    public string Code { get; set; } = "";
}

public sealed class ShipmentSender
{
    public string? Name { get; set; }

    public string? PostCode { get; set; }

    public int? Rank { get; set; }

    public ShipmentGeo? Geo { get; set; }
}

public sealed class ShipmentGeo
{
    public double Lat { get; set; }
}

/// <summary>
/// Shared by the crash worker (SIGKILLed at its k-th progress line inside Migrate()) and the tests that check what the database
/// is after the kill, as <see cref="ThingsContext"/> is; small batches and memtables, so conversions have many progress lines.
/// </summary>
public sealed class ShipmentsContext(string path, Action<DbContextOptionsBuilder>? options = null) : DbContext
{
    public const int Rows = 160;

    public DbSet<Shipment> Shipments => Set<Shipment>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        optionsBuilder.UseLsm(path, o => o.WriteBufferSize(64 * 1024).MigrationBatchRows(16).SyncWrites(false));
        options?.Invoke(optionsBuilder);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var shipment = modelBuilder.Entity<Shipment>();
        shipment.Property(s => s.Id).ValueGeneratedNever();
        shipment.ComplexProperty(s => s.Size);
        shipment.OwnsOne(s => s.Sender, s => s.OwnsOne(x => x.Geo));
    }

    /// <summary>The migration ids in order.</summary>
    public static readonly string[] MigrationIds =
    [
        "20250601000001_Initial", "20250601000002_Add", "20250601000003_Rename", "20250601000004_Convert", "20250601000005_Drop",
    ];
}

/// <summary>
/// The model after migration <c>stage</c> (1..5), as a migration's Designer file writes it (property bags), so each migration
/// names the columns of its own model: <c>Size_Height</c> and <c>Sender_Zip</c> until they are renamed, <c>Size_Note</c> and
/// <c>Sender_Code</c> until they are dropped.
/// </summary>
internal static class ShipmentModels
{
    private const string Namespace = "EFCore.Lsm.FunctionalTests.CrashWorker.Migrations.";

    public static void Build(ModelBuilder modelBuilder, int stage) =>
        modelBuilder.Entity(Namespace + "Shipment", b =>
        {
            b.Property<int>("Id");
            b.Property<string>("Label").IsRequired();
            b.HasKey("Id");
            b.ToTable("Shipments");
            b.ComplexProperty(typeof(Dictionary<string, object>), "Size", Namespace + "Shipment.Size#ShipmentSize", c =>
            {
                c.IsRequired();
                if (stage < 4)
                {
                    c.Property<int>("Width");
                }
                else
                {
                    c.Property<double>("Width");
                }

                c.Property<int?>(stage < 3 ? "Height" : "Depth");
                if (stage < 5)
                {
                    c.Property<string>("Note");
                }

                if (stage >= 2)
                {
                    c.Property<string>("Code").IsRequired();
                }
            });
            b.OwnsOne(Namespace + "ShipmentSender", "Sender", s =>
            {
                s.Property<int>("ShipmentId");
                s.Property<string>("Name");
                s.Property<string>(stage < 3 ? "Zip" : "PostCode");
                if (stage < 4)
                {
                    s.Property<int?>("Code");
                }
                else if (stage < 5)
                {
                    s.Property<long?>("Code");
                }

                if (stage >= 2)
                {
                    s.Property<int?>("Rank");
                }

                s.HasKey("ShipmentId");
                s.ToTable("Shipments");
                s.WithOwner().HasForeignKey("ShipmentId");
                s.OwnsOne(Namespace + "ShipmentGeo", "Geo", g =>
                {
                    g.Property<int>("ShipmentSenderShipmentId");
                    if (stage < 4)
                    {
                        g.Property<int>("Lat");
                    }
                    else
                    {
                        g.Property<double>("Lat");
                    }

                    g.HasKey("ShipmentSenderShipmentId");
                    g.ToTable("Shipments");
                    g.WithOwner().HasForeignKey("ShipmentSenderShipmentId");
                });
            });
        });
}

[DbContext(typeof(ShipmentsContext))]
[Migration("20250601000001_Initial")]
public sealed class ShipmentsInitial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Shipments",
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
            constraints: t => t.PrimaryKey("PK_Shipments", x => x.Id));
        var rows = new object?[ShipmentsContext.Rows, 9];
        for (var i = 0; i < ShipmentsContext.Rows; i++)
        {
            var sender = i % 4 != 0;
            rows[i, 0] = i;
            rows[i, 1] = "s" + i;
            rows[i, 2] = i * 2;
            rows[i, 3] = i % 3 == 0 ? null : i;
            rows[i, 4] = i % 5 == 0 ? null : "note" + i;
            rows[i, 5] = sender ? "name" + i : null;
            rows[i, 6] = sender && i % 2 == 0 ? "z" + i : null;
            rows[i, 7] = sender ? i * 7 : null;
            rows[i, 8] = sender && i % 3 != 0 ? i % 90 : null;
        }

        migrationBuilder.InsertData(
            table: "Shipments",
            columns: ["Id", "Label", "Size_Width", "Size_Height", "Size_Note", "Sender_Name", "Sender_Zip", "Sender_Code", "Sender_Geo_Lat"],
            values: rows);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "Shipments");

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => ShipmentModels.Build(modelBuilder, 1);
}

[DbContext(typeof(ShipmentsContext))]
[Migration("20250601000002_Add")]
public sealed class ShipmentsAdd : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "Size_Code", table: "Shipments", nullable: false, defaultValue: "c");
        migrationBuilder.AddColumn<int>(name: "Sender_Rank", table: "Shipments", nullable: true, defaultValue: 5);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "Sender_Rank", table: "Shipments");
        migrationBuilder.DropColumn(name: "Size_Code", table: "Shipments");
    }

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => ShipmentModels.Build(modelBuilder, 2);
}

[DbContext(typeof(ShipmentsContext))]
[Migration("20250601000003_Rename")]
public sealed class ShipmentsRename : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.RenameColumn(name: "Size_Height", table: "Shipments", newName: "Size_Depth");
        migrationBuilder.RenameColumn(name: "Sender_Zip", table: "Shipments", newName: "Sender_PostCode");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.RenameColumn(name: "Sender_PostCode", table: "Shipments", newName: "Sender_Zip");
        migrationBuilder.RenameColumn(name: "Size_Depth", table: "Shipments", newName: "Size_Height");
    }

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => ShipmentModels.Build(modelBuilder, 3);
}

[DbContext(typeof(ShipmentsContext))]
[Migration("20250601000004_Convert")]
public sealed class ShipmentsConvert : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AlterColumn<double>(name: "Size_Width", table: "Shipments", nullable: false, oldClrType: typeof(int));
        migrationBuilder.AlterColumn<double>(name: "Sender_Geo_Lat", table: "Shipments", nullable: true, oldClrType: typeof(int), oldNullable: true);
        migrationBuilder.AlterColumn<long>(name: "Sender_Code", table: "Shipments", nullable: true, oldClrType: typeof(int), oldNullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AlterColumn<int>(name: "Sender_Code", table: "Shipments", nullable: true, oldClrType: typeof(long), oldNullable: true);
        migrationBuilder.AlterColumn<int>(name: "Sender_Geo_Lat", table: "Shipments", nullable: true, oldClrType: typeof(double), oldNullable: true);
        migrationBuilder.AlterColumn<int>(name: "Size_Width", table: "Shipments", nullable: false, oldClrType: typeof(double));
    }

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => ShipmentModels.Build(modelBuilder, 4);
}

[DbContext(typeof(ShipmentsContext))]
[Migration("20250601000005_Drop")]
public sealed class ShipmentsDrop : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "Size_Note", table: "Shipments");
        migrationBuilder.DropColumn(name: "Sender_Code", table: "Shipments");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<long>(name: "Sender_Code", table: "Shipments", nullable: true);
        migrationBuilder.AddColumn<string>(name: "Size_Note", table: "Shipments", nullable: true);
    }

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => ShipmentModels.Build(modelBuilder, 5);
}
