using EFCore.Lsm.Design.Internal;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// The nullability <c>dotnet ef migrations add</c> gives columns, as EF's relational conventions do: a required member of a
/// required complex property is a required column (its declaring type is the complex type, but every row of the table holds
/// it); members of an optional complex value, of an optional owned reference and properties of a derived type (TPH) are
/// nullable, since some rows have no value for them; members of a required owned reference follow the member.
/// </summary>
public sealed class DifferColumnNullabilityTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly (string Column, bool Nullable)[] Expected =
    [
        ("Billing_BillingStreet", false),
        ("Dimensions_Label", false),
        ("Dimensions_Width", false),
        ("Discriminator", false),
        ("Extra_Code", true),
        ("Home_City", true),
        ("Id", false),
        ("Name", false),
        ("Priority", true),
        ("Service_Level", true),
    ];

    [Fact]
    public void CreateTable_columns_of_complex_owned_and_derived_members_have_the_nullability_EF_gives_them()
    {
        using var context = new NullabilityContext(_temp.Db(), withMembers: true);
        var create = Assert.Single(LsmModelDiffer.Diff(null, context.GetService<IDesignTimeModel>().Model).OfType<CreateTableOperation>());
        Assert.Equal(Expected, create.Columns.Select(c => (c.Name, c.IsNullable)).OrderBy(c => c.Name, StringComparer.Ordinal));
    }

    [Fact]
    public void AddColumn_of_complex_owned_and_derived_members_has_the_nullability_EF_gives_them()
    {
        using var before = new NullabilityContext(_temp.Db(), withMembers: false);
        using var after = new NullabilityContext(_temp.Db(), withMembers: true);
        var added = LsmModelDiffer.Diff(before.GetService<IDesignTimeModel>().Model, after.GetService<IDesignTimeModel>().Model)
            .OfType<AddColumnOperation>()
            .Select(c => (c.Name, c.IsNullable))
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        Assert.Equal(Expected.Where(e => e.Column is not ("Discriminator" or "Id" or "Name")), added);
    }
}

public class Consignment
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public ConsignmentSize Dimensions { get; set; } = new();

    public ConsignmentExtra? Extra { get; set; }

    public ConsignmentHome? Home { get; set; }

    public ConsignmentBilling Billing { get; set; } = new();
}

public sealed class ExpressConsignment : Consignment
{
    public int Priority { get; set; }

    public ConsignmentService Service { get; set; } = new();
}

public sealed class ConsignmentSize
{
    public int Width { get; set; }

    public string Label { get; set; } = "";
}

public sealed class ConsignmentExtra
{
    public int Code { get; set; }
}

public sealed class ConsignmentHome
{
    public string City { get; set; } = "";
}

public sealed class ConsignmentBilling
{
    public string BillingStreet { get; set; } = "";
}

public sealed class ConsignmentService
{
    public int Level { get; set; }
}

/// <summary>A TPH hierarchy with complex and owned members, or (<c>withMembers: false</c>) without any of them.</summary>
public sealed class NullabilityContext(string path, bool withMembers) : DbContext
{
    public DbSet<Consignment> Consignments => Set<Consignment>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.UseLsm(path).ReplaceService<IModelCacheKeyFactory, ShapeCacheKeyFactory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var consignment = modelBuilder.Entity<Consignment>();
        consignment.Property(c => c.Id).ValueGeneratedNever();
        var express = modelBuilder.Entity<ExpressConsignment>();
        if (withMembers)
        {
            consignment.ComplexProperty(c => c.Dimensions);
            consignment.ComplexProperty(c => c.Extra);
            consignment.OwnsOne(c => c.Home);
            consignment.OwnsOne(c => c.Billing);
            consignment.Navigation(c => c.Billing).IsRequired();
            express.ComplexProperty(e => e.Service);
        }
        else
        {
            consignment.Ignore(c => c.Dimensions).Ignore(c => c.Extra).Ignore(c => c.Home).Ignore(c => c.Billing);
            express.Ignore(e => e.Priority).Ignore(e => e.Service);
        }
    }

    private sealed class ShapeCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((NullabilityContext)context).WithMembers, designTime);
    }

    private bool WithMembers => withMembers;
}
