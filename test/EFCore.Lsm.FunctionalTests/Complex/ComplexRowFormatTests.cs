using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// The stored bytes of complex values (docs/row_encoding.md, "Complex values"): the golden vector of the doc's example; rows
/// written before a model had complex properties read with defaults (null for an optional value); a model that drops a
/// complex property keeps its stored members; migrations add complex members as values of the row.
/// </summary>
public sealed class ComplexRowFormatTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Trip
    {
        public int Id { get; set; }

        public Spot Origin { get; set; } = new();

        public Stop? Destination { get; set; }
    }

    public class Spot
    {
        public string City { get; set; } = "";

        public Point Geo { get; set; } = new();
    }

    public class Point
    {
        public double Latitude { get; set; }
    }

    public class Stop
    {
        public string City { get; set; } = "";
    }

    private sealed class TripContext(string path, bool complex) : DbContext
    {
        public DbSet<Trip> Trips => Set<Trip>();

        public bool Complex { get; } = complex;

        protected override void OnConfiguring(DbContextOptionsBuilder options)
        {
            TestStore.Backend.Configure(options, path);
            options.ReplaceService<IModelCacheKeyFactory, TripShapeCacheKeyFactory>();
        }

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var trip = modelBuilder.Entity<Trip>();
            trip.Property(t => t.Id).ValueGeneratedNever();
            if (Complex)
            {
                trip.ComplexProperty(t => t.Origin, o => o.ComplexProperty(x => x.Geo));
                trip.ComplexProperty(t => t.Destination);
            }
            else
            {
                trip.Ignore(t => t.Origin);
                trip.Ignore(t => t.Destination);
            }
        }
    }

    private sealed class TripShapeCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((TripContext)context).Complex, designTime);
    }

    private static string StoredRowHex(DbContext context, int id)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var mapping = database.GetMapping(context.Model.FindEntityType(typeof(Trip))!);
        using var view = database.OpenView();
        return Convert.ToHexString(view.Get(mapping.EncodeKey([id]))!);
    }

    [Fact]
    public void Complex_members_are_top_level_pairs_of_the_row_golden_vector()
    {
        using var context = new TripContext(_temp.Db(), complex: true);
        context.Trips.Add(new Trip { Id = 2, Origin = new Spot { City = "Oslo", Geo = new Point { Latitude = 0.5 } } });
        context.SaveChanges();

        // Ids: Id 1, then the complex members by complex property name: Destination.City 2, Origin.City 3, Origin.Geo.Latitude 4.
        Assert.Equal("84" + "0102" + "02C0" + "03A44F736C6F" + "04CA3F000000", StoredRowHex(context, 2));
    }

    [Fact]
    public void Rows_written_before_the_model_had_complex_properties_read_with_defaults_and_a_dropped_one_keeps_its_values()
    {
        using (var context = new TripContext(_temp.Db(), complex: false))
        {
            context.Trips.Add(new Trip { Id = 1 });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = new TripContext(_temp.Db(), complex: true))
        {
            var trip = context.Trips.Single();
            // Members a row lacks read as their CLR defaults, as properties added to a model do (null for a string).
            Assert.Equal((null, 0.0), (trip.Origin.City, trip.Origin.Geo.Latitude));
            Assert.Null(trip.Destination);
            Assert.Equal([1], context.Trips.Where(t => t.Destination == null).Select(t => t.Id).ToList());
            trip.Origin.City = "Lima";
            trip.Destination = new Stop { City = "Cusco" };
            context.SaveChanges();
        }

        // A model without the complex properties keeps their stored members: a save carries them over.
        using (var context = new TripContext(_temp.Db(), complex: false))
        {
            context.Trips.Add(new Trip { Id = 3 });
            context.Trips.Attach(new Trip { Id = 1 }).State = EntityState.Modified;
            context.SaveChanges();
        }

        using (var context = new TripContext(_temp.Db(), complex: true))
        {
            var trips = context.Trips.AsNoTracking().OrderBy(t => t.Id).ToList();
            Assert.Equal(("Lima", "Cusco"), (trips[0].Origin.City, trips[0].Destination!.City));
            Assert.Null(trips[1].Destination);
        }
    }

    [Fact]
    public void AddColumn_of_a_complex_member_adds_a_top_level_value_read_as_its_default_in_existing_rows()
    {
        using var context = new ComplexMigrationContext(_temp.Db());
        context.Database.Migrate("20250401000001_Visitors");
        context.Database.Migrate();
        Assert.Equal(["20250401000001_Visitors", "20250401000002_VisitorHome"], context.Database.GetAppliedMigrations());
        Assert.Equal([(1, "")], context.Set<Visitor>().AsNoTracking().AsEnumerable().Select(v => (v.Id, v.Home.City)));
    }
}

public sealed class Visitor
{
    public int Id { get; set; }

    public VisitorHome Home { get; set; } = new();
}

public sealed class VisitorHome
{
    public string City { get; set; } = "";
}

public sealed class ComplexMigrationContext(string path) : DbContext
{
    public DbSet<Visitor> Visitors => Set<Visitor>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Visitor>().Property(m => m.Id).ValueGeneratedNever();
        modelBuilder.Entity<Visitor>().ComplexProperty(m => m.Home);
    }
}

[DbContext(typeof(ComplexMigrationContext))]
[Migration("20250401000001_Visitors")]
public sealed class CreateVisitors : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Visitors",
            columns: table => new { Id = table.Column<int>(nullable: false) },
            constraints: table => table.PrimaryKey("PK_Visitors", x => x.Id));
        migrationBuilder.InsertData(table: "Visitors", columns: ["Id"], values: new object[,] { { 1 } });
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Visitors");
}

[DbContext(typeof(ComplexMigrationContext))]
[Migration("20250401000002_VisitorHome")]
public sealed class AddVisitorHome : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<string>(name: "Home_City", table: "Visitors", nullable: false, defaultValue: "");

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropColumn("Home_City", "Visitors");
}
