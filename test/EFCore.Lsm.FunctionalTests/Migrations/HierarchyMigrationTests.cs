using EFCore.Lsm.Design.Internal;
using EFCore.Lsm.FunctionalTests.Migrations.Scenarios;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// Schema drift and migrations of a table-per-hierarchy: the hierarchy is one table whose columns are the stored properties
/// of all its types (docs/migrations.md). A derived type's property is a column of the root's table; the drift rules hold
/// per stored property; a column that several types of the hierarchy each store under an id of their own is refused.
/// </summary>
public sealed class HierarchyMigrationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_hierarchy_migrates_as_one_table_a_derived_column_is_renamed_and_indexed_and_Down_restores_it()
    {
        var path = _temp.Db();
        using (var context = new AnimalsContext(path))
        {
            context.Database.Migrate(AnimalsCreate.Id);
            var before = StoreDump.Rows(context);

            context.Database.Migrate();
            Assert.Equal([AnimalsCreate.Id, AnimalsRenameLegs.Id], context.Database.GetAppliedMigrations());
            Assert.Empty(context.Database.GetLsmSchemaDifferences());
            Assert.Equal(2, context.Animals.Count());
            var dog = context.Animals.OfType<MigratedDog>().Single();
            Assert.Equal(("rex", 4), (dog.Name, dog.LegCount));
            var cat = context.Animals.OfType<MigratedCat>().Single();
            Assert.Equal(("tom", true), (cat.Name, cat.Indoor));
            Assert.Equal(["rex"], context.Animals.OfType<MigratedDog>().Where(d => d.LegCount == 4).Select(d => d.Name));

            // Back through Down: the column has its old name again, and the rows their original bytes.
            context.Database.Migrate(AnimalsCreate.Id);
            Assert.Equal([AnimalsCreate.Id], context.Database.GetAppliedMigrations());
            Assert.Equal(before, StoreDump.Rows(context));
        }

        using (var context = new AnimalsContext(path))
        {
            context.Database.Migrate();
            context.Animals.Add(new MigratedDog { Id = 3, Name = "fido", LegCount = 3 });
            context.SaveChanges();
        }

        using (var context = new AnimalsContext(path))
        {
            Assert.Equal([("fido", 3), ("rex", 4)], context.Animals.OfType<MigratedDog>().OrderBy(d => d.Name).AsEnumerable()
                .Select(d => (d.Name, d.LegCount ?? 0)));
            Assert.Equal(["fido"], context.Animals.OfType<MigratedDog>().Where(d => d.LegCount == 3).Select(d => d.Name));
        }
    }

    [Fact]
    public void The_differ_writes_a_hierarchy_as_one_table_with_every_type_s_columns_and_seed_rows_with_their_discriminator()
    {
        using var context = new SeededAnimalsContext(_temp.Db());
        var create = Assert.Single(LsmModelDiffer.Diff(null, context.GetService<IDesignTimeModel>().Model).OfType<CreateTableOperation>());
        Assert.Equal("Animals", create.Name);
        Assert.Equal(
            ["Discriminator", "Id", "Indoor", "LegCount", "Name"],
            create.Columns.Select(c => c.Name).Order(StringComparer.Ordinal));

        // Rows of the other types have no value for a derived type's column.
        Assert.True(create.Columns.Single(c => c.Name == "LegCount").IsNullable);
        Assert.True(create.Columns.Single(c => c.Name == "Indoor").IsNullable);
        Assert.False(create.Columns.Single(c => c.Name == "Name").IsNullable);

        var inserts = LsmModelDiffer.Diff(null, context.GetService<IDesignTimeModel>().Model).OfType<InsertDataOperation>().ToList();
        var rows = inserts.SelectMany(i => Enumerable.Range(0, i.Values.GetLength(0)).Select(r =>
            i.Columns.Select((c, n) => (c, i.Values[r, n])).ToDictionary(x => x.c, x => x.Item2))).ToList();
        Assert.Equal(
            [("MigratedCat", 2), ("MigratedDog", 1)],
            rows.Select(r => ((string)r["Discriminator"]!, (int)r["Id"]!)).Order());
    }

    [Fact]
    public void A_column_that_two_derived_types_store_under_their_own_ids_is_refused_naming_the_operation_and_the_entity_type()
    {
        using var context = new SharedColumnContext(_temp.Db());

        var migrate = Assert.Throws<NotSupportedException>(() => context.Database.Migrate());
        Assert.Contains("AddColumn 'Color' on 'Pets'", migrate.Message);
        Assert.Contains("entity type 'Pet'", migrate.Message);
        Assert.Contains("'Fish'", migrate.Message);
        Assert.Contains("'Bird'", migrate.Message);
        Assert.Empty(context.Database.GetAppliedMigrations());
        Assert.Empty(StoreDump.Rows(context));

        var add = Assert.Throws<NotSupportedException>(() => LsmModelDiffer.Diff(null, context.GetService<IDesignTimeModel>().Model));
        Assert.Contains("table 'Pets'", add.Message);
        Assert.Contains("entity type 'Pet'", add.Message);
    }

    [Fact]
    public void A_derived_type_s_dropped_property_keeps_its_values_and_a_new_non_nullable_one_reads_as_its_default()
    {
        var path = _temp.Db();
        using (var v1 = Hierarchy(path, "v1", dog => dog.Ignore(d => d.Age)))
        {
            v1.Add(new DriftDog { Id = 1, Name = "rex", Breed = "collie" });
            v1.Add(new DriftCat { Id = 2, Name = "tom", Indoor = true });
            v1.SaveChanges();
        }

        using (var v2 = Hierarchy(path, "v2", dog => dog.Ignore(d => d.Breed)))
        {
            var difference = Assert.Single(v2.Database.GetLsmSchemaDifferences());
            Assert.Equal((LsmSchemaDifferenceKind.PropertyNotInModel, "Breed"), (difference.Kind, difference.Property));

            var dog = v2.Set<DriftDog>().Single();
            Assert.Equal(("rex", 0), (dog.Name, dog.Age));
            Assert.True(v2.Set<DriftCat>().Single().Indoor);
            dog.Name = "max";
            v2.SaveChanges();
        }

        using (var v1 = Hierarchy(path, "v1", dog => dog.Ignore(d => d.Age)))
        {
            var dog = v1.Set<DriftDog>().Single();
            Assert.Equal(("max", "collie"), (dog.Name, dog.Breed));
        }
    }

    private static ModelVariantContext Hierarchy(
        string path, string variant, Action<Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<DriftDog>> dog) =>
        ModelVariantContext.Create(path, variant, b =>
        {
            b.Entity<DriftAnimal>().Property(a => a.Id).ValueGeneratedNever();
            dog(b.Entity<DriftDog>());
            b.Entity<DriftCat>();
        });
}

public class DriftAnimal
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

public sealed class DriftDog : DriftAnimal
{
    public string? Breed { get; set; }

    public int Age { get; set; }
}

public sealed class DriftCat : DriftAnimal
{
    public bool? Indoor { get; set; }
}

public class MigratedAnimal
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

public sealed class MigratedDog : MigratedAnimal
{
    public int? LegCount { get; set; }
}

public sealed class MigratedCat : MigratedAnimal
{
    public bool? Indoor { get; set; }
}

public class AnimalsContext(string path) : ScenarioContext(path)
{
    public DbSet<MigratedAnimal> Animals => Set<MigratedAnimal>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<MigratedAnimal>().Property(a => a.Id).ValueGeneratedNever();
        modelBuilder.Entity<MigratedDog>().HasIndex(d => d.LegCount);
        modelBuilder.Entity<MigratedCat>();
    }
}

public sealed class SeededAnimalsContext(string path) : AnimalsContext(path)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<MigratedDog>().HasData(new MigratedDog { Id = 1, Name = "rex", LegCount = 4 });
        modelBuilder.Entity<MigratedCat>().HasData(new MigratedCat { Id = 2, Name = "tom", Indoor = true });
    }
}

[DbContext(typeof(AnimalsContext))]
[Migration(Id)]
public sealed class AnimalsCreate : Migration
{
    public const string Id = "20250301000001_Animals";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Animals",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                Discriminator = table.Column<string>(nullable: false),
                Name = table.Column<string>(nullable: false),
                Legs = table.Column<int>(nullable: true),
                Indoor = table.Column<bool>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Animals", x => x.Id));
        migrationBuilder.InsertData(
            table: "Animals",
            columns: ["Id", "Discriminator", "Name", "Legs", "Indoor"],
            values: new object?[,] { { 1, "MigratedDog", "rex", 4, null }, { 2, "MigratedCat", "tom", null, true } });
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Animals");
}

[DbContext(typeof(AnimalsContext))]
[Migration(Id)]
public sealed class AnimalsRenameLegs : Migration
{
    public const string Id = "20250301000002_RenameLegs";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.RenameColumn(name: "Legs", table: "Animals", newName: "LegCount");
        migrationBuilder.CreateIndex(name: "IX_Animals_LegCount", table: "Animals", column: "LegCount");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "IX_Animals_LegCount", table: "Animals");
        migrationBuilder.RenameColumn(name: "LegCount", table: "Animals", newName: "Legs");
    }
}

public class Pet
{
    public int Id { get; set; }
}

public sealed class Fish : Pet
{
    public string? Color { get; set; }
}

public sealed class Bird : Pet
{
    public string? Color { get; set; }
}

public sealed class SharedColumnContext(string path) : ScenarioContext(path)
{
    public DbSet<Pet> Pets => Set<Pet>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Pet>().Property(p => p.Id).ValueGeneratedNever();
        modelBuilder.Entity<Fish>();
        modelBuilder.Entity<Bird>();
    }
}

[DbContext(typeof(SharedColumnContext))]
[Migration("20250301000001_Pets")]
public sealed class PetsCreate : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateTable(
            name: "Pets",
            columns: table => new
            {
                Id = table.Column<int>(nullable: false),
                Discriminator = table.Column<string>(nullable: false),
                Color = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_Pets", x => x.Id));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Pets");
}
