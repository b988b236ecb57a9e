using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations.Ledger;

/// <summary>A narrow row (about 100 bytes stored), as most tables have: what a re-key's per-row cost is measured on.</summary>
public sealed class LedgerEntry
{
    public const int Tenants = 16;

    public int TenantId { get; set; }

    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string Region { get; set; } = "";

    public decimal Balance { get; set; }

    public DateTime Created { get; set; }

    public static LedgerEntry Of(int id) => new()
    {
        Id = id,
        TenantId = id % Tenants,
        Name = "customer " + id.ToString("D8", System.Globalization.CultureInfo.InvariantCulture),
        Region = "R" + (id % 7).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Balance = id * 1.25m,
        Created = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(id),
    };
}

/// <summary>The model after <see cref="LedgerRekey"/>: keyed by (TenantId, Id), with an index on Region.</summary>
public sealed class LedgerContext(string path, Action<DbContextOptionsBuilder>? options = null) : DbContext
{
    public DbSet<LedgerEntry> Entries => Set<LedgerEntry>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        optionsBuilder.UseLsm(path);
        options?.Invoke(optionsBuilder);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder) => LedgerModel.Build(modelBuilder, rekeyed: true);
}

/// <summary>The model before <see cref="LedgerRekey"/> (keyed by Id), for loading the rows.</summary>
public sealed class LedgerLoadContext(string path) : DbContext
{
    public DbSet<LedgerEntry> Entries => Set<LedgerEntry>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder) => LedgerModel.Build(modelBuilder, rekeyed: false);
}

internal static class LedgerModel
{
    public static void Build(ModelBuilder modelBuilder, bool rekeyed)
    {
        var entry = modelBuilder.Entity<LedgerEntry>();
        entry.ToTable("Entries");
        entry.Property(e => e.Id).ValueGeneratedNever();
        entry.Property(e => e.TenantId).ValueGeneratedNever();
        if (rekeyed)
        {
            entry.HasKey(e => new { e.TenantId, e.Id });
        }
        else
        {
            entry.HasKey(e => e.Id);
        }

        entry.HasIndex(e => e.Region);
    }
}

[DbContext(typeof(LedgerContext))]
[Migration(Id)]
public sealed class LedgerInitial : Migration
{
    public const string Id = "20250701000001_Ledger";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Entries",
            columns: t => new
            {
                Id = t.Column<int>(nullable: false),
                TenantId = t.Column<int>(nullable: false),
                Name = t.Column<string>(nullable: false),
                Region = t.Column<string>(nullable: false),
                Balance = t.Column<decimal>(nullable: false),
                Created = t.Column<DateTime>(nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_Entries", x => x.Id));
        migrationBuilder.CreateIndex(name: "IX_Entries_Region", table: "Entries", column: "Region");
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Entries");

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => LedgerModel.Build(modelBuilder, rekeyed: false);
}

[DbContext(typeof(LedgerContext))]
[Migration(Id)]
public sealed class LedgerRekey : Migration
{
    public const string Id = "20250701000002_RekeyByTenant";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropPrimaryKey(name: "PK_Entries", table: "Entries");
        migrationBuilder.AddPrimaryKey(name: "PK_Entries", table: "Entries", columns: ["TenantId", "Id"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropPrimaryKey(name: "PK_Entries", table: "Entries");
        migrationBuilder.AddPrimaryKey(name: "PK_Entries", table: "Entries", column: "Id");
    }

    protected override void BuildTargetModel(ModelBuilder modelBuilder) => LedgerModel.Build(modelBuilder, rekeyed: true);
}
