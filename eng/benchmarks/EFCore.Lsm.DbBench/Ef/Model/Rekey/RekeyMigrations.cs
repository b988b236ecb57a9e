using EFCore.Lsm.DbBench.Ef.Model.Rekey;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.DbBench.Ef.Model.Rekey;

/// <summary>
/// The two migrations of ef-rekey, as <c>dotnet ef migrations add</c> writes them (Up, Down, and the target model its
/// Designer file holds): the table keyed by Id, then the change of its primary key to (TenantId, Id). EF's SQLite
/// provider turns the key change into its table rebuild (create a new table, INSERT ... SELECT, drop, rename, indexes
/// again); EFCore.Lsm re-keys the rows into a new keyspace in batches and rebuilds the index (docs/migrations.md).
/// </summary>
internal static class RekeyMigrations
{
    public const string Initial = "20261201000001_Initial";
    public const string RekeyByTenant = "20261201000002_RekeyByTenant";

    public const string IndexName = "IX_Orders_Region";

    /// <summary>The target model each migration's Designer file would build: the table as the migration leaves it.</summary>
    internal static void BuildModel(ModelBuilder modelBuilder, bool rekeyed)
    {
        modelBuilder.HasAnnotation("ProductVersion", "10.0.0");
        modelBuilder.Entity(typeof(RekeyOrder).FullName!, b =>
        {
            b.Property<int>("TenantId").HasColumnType("INTEGER");
            b.Property<int>("Id").HasColumnType("INTEGER");
            b.Property<decimal>("Balance").HasPrecision(18, 2).HasColumnType("TEXT");
            b.Property<string>("City").IsRequired().HasMaxLength(32).HasColumnType("TEXT");
            b.Property<DateTime>("Created").HasColumnType("TEXT");
            b.Property<string>("Name").IsRequired().HasMaxLength(64).HasColumnType("TEXT");
            b.Property<string>("Region").IsRequired().HasMaxLength(8).HasColumnType("TEXT");
            if (rekeyed)
            {
                b.HasKey("TenantId", "Id");
            }
            else
            {
                b.HasKey("Id");
            }

            b.HasIndex("Region");
            b.ToTable(RekeyModel.Table);
        });
    }
}

[DbContext(typeof(RekeyDbContext))]
[Migration(RekeyMigrations.Initial)]
internal sealed class RekeyInitial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: RekeyModel.Table,
            columns: table => new
            {
                Id = table.Column<int>(type: "INTEGER", nullable: false),
                TenantId = table.Column<int>(type: "INTEGER", nullable: false),
                Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                City = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                Region = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                Balance = table.Column<decimal>(type: "TEXT", precision: 18, scale: 2, nullable: false),
                Created = table.Column<DateTime>(type: "TEXT", nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_Orders", x => x.Id));
        migrationBuilder.CreateIndex(name: RekeyMigrations.IndexName, table: RekeyModel.Table, column: "Region");
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: RekeyModel.Table);

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => RekeyMigrations.BuildModel(modelBuilder, rekeyed: false);
}

[DbContext(typeof(RekeyDbContext))]
[Migration(RekeyMigrations.RekeyByTenant)]
internal sealed class RekeyByTenant : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropPrimaryKey(name: "PK_Orders", table: RekeyModel.Table);
        migrationBuilder.AddPrimaryKey(name: "PK_Orders", table: RekeyModel.Table, columns: ["TenantId", "Id"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropPrimaryKey(name: "PK_Orders", table: RekeyModel.Table);
        migrationBuilder.AddPrimaryKey(name: "PK_Orders", table: RekeyModel.Table, column: "Id");
    }

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => RekeyMigrations.BuildModel(modelBuilder, rekeyed: true);
}
