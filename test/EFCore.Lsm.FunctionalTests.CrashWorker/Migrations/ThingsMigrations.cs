using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.CrashWorker.Migrations;

/// <summary>The model after the six migrations below, which between them use every operation the provider interprets.</summary>
public sealed class Thing
{
    public int Id { get; set; }

    public int Group { get; set; }

    public string Name { get; set; } = "";

    public double Score { get; set; }

    public int Rank { get; set; }
}

/// <summary>
/// Shared by the crash worker (which runs Migrate() and is SIGKILLed at its k-th progress line) and the tests that check what
/// the database is after the kill. Small batches and memtables, so a migration has many progress lines and kills also land
/// in flushes.
/// </summary>
public sealed class ThingsContext(string path, Action<DbContextOptionsBuilder>? options = null) : DbContext
{
    public const int Rows = 160;

    public DbSet<Thing> Things => Set<Thing>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        // Unsynced: a SIGKILL loses no acknowledged write the OS has, and the test runs many migrations.
        optionsBuilder.UseLsm(path, o => o.WriteBufferSize(64 * 1024).MigrationBatchRows(16).SyncWrites(false));
        options?.Invoke(optionsBuilder);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var thing = modelBuilder.Entity<Thing>();
        thing.HasKey(t => new { t.Group, t.Id });
        thing.Property(t => t.Rank).HasDefaultValue(1);
    }

    /// <summary>The migration ids in order.</summary>
    public static readonly string[] MigrationIds =
    [
        "20250301000001_Initial", "20250301000002_Shape", "20250301000003_Convert", "20250301000004_Rekey",
        "20250301000005_Rename", "20250301000006_Trim",
    ];
}

[DbContext(typeof(ThingsContext))]
[Migration("20250301000001_Initial")]
public sealed class ThingsInitial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Items",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                Group = table.Column<int>(nullable: false),
                Name = table.Column<string>(nullable: false),
                Score = table.Column<int>(nullable: false),
                Note = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Items", x => x.Id));
        migrationBuilder.CreateIndex(name: "IX_Items_Group", table: "Items", column: "Group");
        var rows = new object?[ThingsContext.Rows, 5];
        for (var i = 0; i < ThingsContext.Rows; i++)
        {
            rows[i, 0] = i;
            rows[i, 1] = i % 12;
            rows[i, 2] = "item" + i;
            rows[i, 3] = i * 3;
            rows[i, 4] = i % 5 == 0 ? null : "n" + i;
        }

        migrationBuilder.InsertData(table: "Items", columns: ["Id", "Group", "Name", "Score", "Note"], values: rows);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "Items");
}

[DbContext(typeof(ThingsContext))]
[Migration("20250301000002_Shape")]
public sealed class ThingsShape : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.RenameColumn(name: "Note", table: "Items", newName: "Remark");
        migrationBuilder.AddColumn<int>(name: "Rank", table: "Items", nullable: false, defaultValue: 1);
        migrationBuilder.AlterColumn<long>(name: "Score", table: "Items", nullable: false, oldClrType: typeof(int));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AlterColumn<int>(name: "Score", table: "Items", nullable: false, oldClrType: typeof(long));
        migrationBuilder.DropColumn(name: "Rank", table: "Items");
        migrationBuilder.RenameColumn(name: "Remark", table: "Items", newName: "Note");
    }
}

[DbContext(typeof(ThingsContext))]
[Migration("20250301000003_Convert")]
public sealed class ThingsConvert : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<double>(name: "Score", table: "Items", nullable: false, oldClrType: typeof(long));

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<long>(name: "Score", table: "Items", nullable: false, oldClrType: typeof(double));
}

[DbContext(typeof(ThingsContext))]
[Migration("20250301000004_Rekey")]
public sealed class ThingsRekey : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Items_Group", table: "Items");
        migrationBuilder.DropPrimaryKey(name: "PK_Items", table: "Items");
        migrationBuilder.AddPrimaryKey(name: "PK_Items", table: "Items", columns: ["Group", "Id"]);
        migrationBuilder.CreateIndex(name: "IX_Items_Name", table: "Items", column: "Name", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Items_Name", table: "Items");
        migrationBuilder.DropPrimaryKey(name: "PK_Items", table: "Items");
        migrationBuilder.AddPrimaryKey(name: "PK_Items", table: "Items", column: "Id");
        migrationBuilder.CreateIndex(name: "IX_Items_Group", table: "Items", column: "Group");
    }
}

[DbContext(typeof(ThingsContext))]
[Migration("20250301000005_Rename")]
public sealed class ThingsRename : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.RenameTable(name: "Items", newName: "Things");
        migrationBuilder.RenameIndex(name: "IX_Items_Name", table: "Things", newName: "IX_Things_Name");
        migrationBuilder.LsmOperation("rank by id", m => m.UpdateRows("Things", row => row["Rank"] = (int)row["Id"]! % 7));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.LsmOperation("rank 1", m => m.UpdateRows("Things", row => row["Rank"] = 1));
        migrationBuilder.RenameIndex(name: "IX_Things_Name", table: "Things", newName: "IX_Items_Name");
        migrationBuilder.RenameTable(name: "Things", newName: "Items");
    }
}

[DbContext(typeof(ThingsContext))]
[Migration("20250301000006_Trim")]
public sealed class ThingsTrim : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Things_Name", table: "Things");
        migrationBuilder.DropColumn(name: "Remark", table: "Things");
        migrationBuilder.UpdateData(table: "Things", keyColumns: ["Group", "Id"], keyValues: [0, 12], column: "Name", value: "twelve");
        migrationBuilder.DeleteData(table: "Things", keyColumns: ["Group", "Id"], keyValues: [1, 1]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.InsertData(
            table: "Things", columns: ["Id", "Group", "Name", "Score", "Rank"], values: [1, 1, "item1", 3.0, 1]);
        migrationBuilder.UpdateData(table: "Things", keyColumns: ["Group", "Id"], keyValues: [0, 12], column: "Name", value: "item12");
        migrationBuilder.AddColumn<string>(name: "Remark", table: "Things", nullable: true);
        migrationBuilder.CreateIndex(name: "IX_Things_Name", table: "Things", column: "Name", unique: true);
    }
}
