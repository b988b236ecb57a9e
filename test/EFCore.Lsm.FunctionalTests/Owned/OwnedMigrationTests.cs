using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Owned;

/// <summary>
/// Owned values are nested in their owner's row: a migration adds an owned member by the column name EF's relational
/// conventions give it (<c>Home_City</c>), and a model that dropped an owned member without a migration keeps its values.
/// </summary>
public sealed class OwnedMigrationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AddColumn_of_an_owned_member_by_its_relational_column_name_adds_it_inside_the_owned_value()
    {
        using (var context = new OwnedMigrationContext(_temp.Db()))
        {
            context.Database.Migrate();
            Assert.Equal(["20250301000001_Members", "20250301000002_MemberHome"], context.Database.GetAppliedMigrations());
            context.Add(new Member { Id = 1, Email = "a@x", Home = new Home { City = "Oslo" } });
            context.SaveChanges();
        }

        using (var context = new OwnedMigrationContext(_temp.Db()))
        {
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
            Assert.Equal("Oslo", context.Set<Member>().Single().Home!.City);
        }
    }

    [Fact]
    public void A_save_over_an_owned_member_the_model_dropped_is_refused_naming_it_and_the_stored_row_stays()
    {
        var path = _temp.Db();
        using (var context = new OwnedDriftContext(path, withZip: true))
        {
            context.Add(new Resident { Id = 1, Name = "ada", Home = new ResidentHome { City = "Oslo", Zip = "0150" } });
            context.SaveChanges();
        }

        using (var context = new OwnedDriftContext(path, withZip: false))
        {
            var resident = context.Residents.Single();
            Assert.Equal("Oslo", resident.Home!.City);
            resident.Name = "ada lovelace";
            var error = Assert.Throws<NotSupportedException>(() => context.SaveChanges());
            Assert.Contains("'Home/Zip'", error.Message);
            Assert.Contains("Put them back in the model", error.Message);
            Assert.DoesNotContain("DropColumn", error.Message);
        }

        using (var context = new OwnedDriftContext(path, withZip: true))
        {
            var resident = context.Residents.Single();
            Assert.Equal(("ada", "Oslo", "0150"), (resident.Name, resident.Home!.City, resident.Home.Zip));
        }
    }
}

public sealed class Resident
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public ResidentHome? Home { get; set; }
}

public sealed class ResidentHome
{
    public string City { get; set; } = "";

    public string? Zip { get; set; }
}

/// <summary>The same owner with or without the owned member <c>Zip</c>: the second model dropped it.</summary>
public sealed class OwnedDriftContext(string path, bool withZip) : DbContext
{
    public DbSet<Resident> Residents => Set<Resident>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.UseLsm(path).ReplaceService<IModelCacheKeyFactory, DriftModelCacheKeyFactory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Resident>().Property(r => r.Id).ValueGeneratedNever();
        modelBuilder.Entity<Resident>().OwnsOne(r => r.Home, home =>
        {
            if (!withZip)
            {
                home.Ignore(h => h.Zip);
            }
        });
    }

    private sealed class DriftModelCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((OwnedDriftContext)context).WithZip, designTime);
    }

    private bool WithZip => withZip;
}

public sealed class Member
{
    public int Id { get; set; }

    public string Email { get; set; } = "";

    public Home? Home { get; set; }
}

public sealed class Home
{
    public string City { get; set; } = "";
}

public sealed class OwnedMigrationContext(string path) : DbContext
{
    public DbSet<Member> Members => Set<Member>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Member>().Property(m => m.Id).ValueGeneratedNever();
        modelBuilder.Entity<Member>().OwnsOne(m => m.Home);
    }
}

[DbContext(typeof(OwnedMigrationContext))]
[Migration("20250301000001_Members")]
public sealed class CreateMembers : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateTable(
            name: "Members",
            columns: table => new { Id = table.Column<int>(nullable: false), Email = table.Column<string>(nullable: false) },
            constraints: table => table.PrimaryKey("PK_Members", x => x.Id));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Members");
}

[DbContext(typeof(OwnedMigrationContext))]
[Migration("20250301000002_MemberHome")]
public sealed class AddMemberHome : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<string>(name: "Home_City", table: "Members", nullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropColumn("Home_City", "Members");
}
