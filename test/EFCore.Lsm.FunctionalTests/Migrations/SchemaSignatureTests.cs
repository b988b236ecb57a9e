using EFCore.Lsm.Migrations.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// What HasPendingModelChanges compares between the last migration's snapshot and the model: every stored column,
/// members of owned references included, so a change to an owned member is a pending change as a change to any other
/// column is.
/// </summary>
public sealed class SchemaSignatureTests
{
    [Fact]
    public void Owned_reference_members_are_columns_of_the_owners_table_named_as_EF_names_them()
    {
        var lines = Signature(withZip: false);

        Assert.Contains(lines, l => l.StartsWith("column Customers.Home_City ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("column Customers.Home_Geo_Latitude ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Home_CustomerId", StringComparison.Ordinal)); // the owner's key, not a column
        Assert.DoesNotContain(lines, l => l.Contains("Visits_", StringComparison.Ordinal)); // an owned collection's elements
    }

    [Fact]
    public void A_member_added_to_an_owned_type_changes_the_signature_and_the_same_model_does_not()
    {
        Assert.Equal(Signature(withZip: false), Signature(withZip: false));
        Assert.NotEqual(Signature(withZip: false), Signature(withZip: true));
    }

    private static List<string> Signature(bool withZip)
    {
        using DbContext context = withZip ? new ShopWithZipContext() : new ShopContext();
        return SchemaSignature.Of(context.GetService<IDesignTimeModel>().Model);
    }

    // Two context types, so EF builds (and caches) a model for each.
    private sealed class ShopContext() : ShopContextBase(withZip: false);

    private sealed class ShopWithZipContext() : ShopContextBase(withZip: true);

    private abstract class ShopContextBase(bool withZip) : DbContext
    {
        protected override void OnConfiguring(DbContextOptionsBuilder options)
            => options.UseLsm(Path.Combine(Path.GetTempPath(), "schema-signature-never-opened"));

        protected override void OnModelCreating(ModelBuilder modelBuilder)
            => modelBuilder.Entity<Customer>(customer =>
            {
                customer.ToTable("Customers");
                customer.OwnsOne(c => c.Home, home =>
                {
                    if (!withZip)
                    {
                        home.Ignore(a => a.Zip);
                    }

                    home.OwnsOne(a => a.Geo);
                });
                customer.OwnsMany(c => c.Visits);
            });
    }

    private sealed class Customer
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public Address Home { get; set; } = new();

        public List<Visit> Visits { get; set; } = [];
    }

    private sealed class Address
    {
        public string City { get; set; } = "";

        public string? Zip { get; set; }

        public Point Geo { get; set; } = new();
    }

    private sealed class Point
    {
        public double Latitude { get; set; }
    }

    private sealed class Visit
    {
        public int Id { get; set; }

        public DateTime At { get; set; }
    }
}
