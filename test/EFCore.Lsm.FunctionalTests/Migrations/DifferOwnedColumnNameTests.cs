using System.ComponentModel.DataAnnotations.Schema;
using EFCore.Lsm.Design.Internal;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// The columns <c>dotnet ef migrations add</c> writes for members of owned references and complex values are the ones EF's
/// relational conventions give them, checked against EF + SQLite's relational model of the same model: <c>Home_City</c>,
/// <c>Home_Geo_Latitude</c>, <c>Home_Label_Text</c>, <c>Tag_Inner_Size</c>; two owned references of one type do not collide.
/// An owned collection's element members are no columns of the owner's table (EF maps them to a table of their own).
/// </summary>
public sealed class DifferOwnedColumnNameTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Owned_and_complex_member_columns_are_named_as_EF_relational_names_them_and_two_owned_references_do_not_collide()
    {
        using var lsm = new TenantContext(o => o.UseLsm(_temp.Db()));
        var create = Assert.Single(
            LsmModelDiffer.Diff(null, lsm.GetService<IDesignTimeModel>().Model).OfType<CreateTableOperation>(),
            c => c.Name == "Tenants");

        using var sqlite = new TenantContext(o => o.UseSqlite("Data Source=:memory:"));
        var table = sqlite.Model.GetRelationalModel().Tables.Single(t => t.Name == "Tenants");
        Assert.Equal(
            table.Columns.Select(c => c.Name).Order(StringComparer.Ordinal),
            create.Columns.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Contains("Home_Geo_Latitude", create.Columns.Select(c => c.Name));
        Assert.Contains("Work_Label_Text", create.Columns.Select(c => c.Name));
    }

    [Fact]
    public void Owned_collection_element_members_are_not_columns_of_the_owner_table()
    {
        using var lsm = new TenantContext(o => o.UseLsm(_temp.Db()));
        var operations = LsmModelDiffer.Diff(null, lsm.GetService<IDesignTimeModel>().Model);
        var create = Assert.Single(operations.OfType<CreateTableOperation>());
        Assert.DoesNotContain(create.Columns, c => c.Name is "Nickname" || c.Name.StartsWith("Pets", StringComparison.Ordinal));
        Assert.Single(create.Columns, c => c.Name == "Id");
    }
}

public sealed class Tenant
{
    public int Id { get; set; }

    public string Email { get; set; } = "";

    public TenantAddress? Home { get; set; }

    public TenantAddress? Work { get; set; }

    public TenantTag Tag { get; set; } = new();

    public List<TenantPet> Pets { get; set; } = [];
}

public sealed class TenantAddress
{
    public string City { get; set; } = "";

    public TenantGeo? Geo { get; set; }

    public TenantLabel Label { get; set; } = new();
}

public sealed class TenantGeo
{
    public double Latitude { get; set; }
}

[ComplexType]
public sealed class TenantLabel
{
    public string Text { get; set; } = "";
}

public sealed class TenantTag
{
    public string Code { get; set; } = "";

    public TenantTagInner Inner { get; set; } = new();
}

public sealed class TenantTagInner
{
    public int Size { get; set; }
}

public sealed class TenantPet
{
    public int Id { get; set; }

    public string Nickname { get; set; } = "";
}

/// <summary>One model on any provider: two owned references of one type (each with a nested owned reference and a complex value), a complex value, an owned collection.</summary>
public sealed class TenantContext(Action<DbContextOptionsBuilder> configure) : DbContext
{
    public DbSet<Tenant> Tenants => Set<Tenant>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => configure(optionsBuilder);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var tenant = modelBuilder.Entity<Tenant>();
        tenant.Property(t => t.Id).ValueGeneratedNever();
        tenant.OwnsOne(t => t.Home, h => h.OwnsOne(a => a.Geo));
        tenant.OwnsOne(t => t.Work, w => w.OwnsOne(a => a.Geo));
        tenant.ComplexProperty(t => t.Tag, t => t.ComplexProperty(x => x.Inner));
        tenant.OwnsMany(t => t.Pets);
    }
}
