using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.FunctionalTests.Migrations.Scenarios;

public sealed class Person
{
    public int Id { get; set; }

    public string Email { get; set; } = "";
}

public sealed class Post
{
    public int Id { get; set; }

    public string Title { get; set; } = "";
}

/// <summary>A context per scenario: EF finds a context's migrations by its type.</summary>
public abstract class ScenarioContext(string path) : DbContext
{
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseLsm(path, o => o.MigrationBatchRows(2));
}

public sealed class UniqueContext(string path) : ScenarioContext(path)
{
    public DbSet<Person> People => Set<Person>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Person>().Property(p => p.Id).ValueGeneratedNever();
        modelBuilder.Entity<Person>().HasIndex(p => p.Email).IsUnique();
    }
}

public sealed class RekeyDuplicateContext(string path) : ScenarioContext(path)
{
    public DbSet<Person> People => Set<Person>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Person>().HasKey(p => p.Email);
}

public sealed class RenameContext(string path) : ScenarioContext(path)
{
    public DbSet<Post> Posts => Set<Post>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Post>().Property(p => p.Id).ValueGeneratedNever();
}

public sealed class SqlContext(string path) : ScenarioContext(path)
{
    public DbSet<Person> People => Set<Person>();
}

internal static class People
{
    public static void Create(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "People",
            columns: table => new { Id = table.Column<int>(nullable: false), Email = table.Column<string>(nullable: false) },
            constraints: table => table.PrimaryKey("PK_People", x => x.Id));
        migrationBuilder.InsertData(
            table: "People", columns: ["Id", "Email"], values: new object[,] { { 1, "a@x" }, { 2, "b@x" }, { 3, "a@x" }, { 4, "c@x" } });
    }
}

[DbContext(typeof(UniqueContext))]
[Migration("20250201000001_People")]
public sealed class UniquePeople : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => People.Create(migrationBuilder);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("People");
}

[DbContext(typeof(UniqueContext))]
[Migration("20250201000002_UniqueEmail")]
public sealed class UniqueEmail : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<int>(name: "Age", table: "People", nullable: false, defaultValue: 0);
        migrationBuilder.CreateIndex(name: "IX_People_Email", table: "People", column: "Email", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropIndex("IX_People_Email", "People");
}

[DbContext(typeof(RekeyDuplicateContext))]
[Migration("20250201000001_People")]
public sealed class RekeyPeople : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => People.Create(migrationBuilder);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("People");
}

[DbContext(typeof(RekeyDuplicateContext))]
[Migration("20250201000002_KeyByEmail")]
public sealed class KeyByEmail : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropPrimaryKey(name: "PK_People", table: "People");
        migrationBuilder.AddPrimaryKey(name: "PK_People", table: "People", column: "Email");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropPrimaryKey(name: "PK_People", table: "People");
        migrationBuilder.AddPrimaryKey(name: "PK_People", table: "People", column: "Id");
    }
}

[DbContext(typeof(RenameContext))]
[Migration("20250201000001_Articles")]
public sealed class Articles : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Articles",
            columns: table => new { Id = table.Column<int>(nullable: false), Title = table.Column<string>(nullable: false) },
            constraints: table => table.PrimaryKey("PK_Articles", x => x.Id));
        migrationBuilder.InsertData(table: "Articles", columns: ["Id", "Title"], values: new object[,] { { 1, "one" }, { 2, "two" } });
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Articles");
}

[DbContext(typeof(RenameContext))]
[Migration("20250201000002_Posts")]
public sealed class Posts : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.RenameTable(name: "Articles", newName: "Posts");

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.RenameTable(name: "Posts", newName: "Articles");
}

[DbContext(typeof(SqlContext))]
[Migration("20250201000001_Sql")]
public sealed class WithSql : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        People.Create(migrationBuilder);
        migrationBuilder.Sql("UPDATE People SET Email = lower(Email)");
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("People");
}

public sealed class Shelf
{
    public int Id { get; set; }

    public List<Book> Books { get; set; } = [];
}

public sealed class Book
{
    public string Title { get; set; } = "";

    public int Pages { get; set; }
}

public sealed class ElementMemberContext(string path) : ScenarioContext(path)
{
    public DbSet<Shelf> Shelves => Set<Shelf>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Shelf>().Property(s => s.Id).ValueGeneratedNever();
        modelBuilder.Entity<Shelf>().ComplexCollection(s => s.Books);
    }
}

[DbContext(typeof(ElementMemberContext))]
[Migration("20250201000001_Shelves")]
public sealed class ElementMemberShelves : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateTable(
            name: "Shelves",
            columns: table => new { Id = table.Column<int>(nullable: false) },
            constraints: table => table.PrimaryKey("PK_Shelves", x => x.Id));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("Shelves");
}

[DbContext(typeof(ElementMemberContext))]
[Migration("20250201000002_WiderPages")]
public sealed class ElementMemberWiderPages : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<long>(name: "Books[].Pages", table: "Shelves", nullable: false, oldClrType: typeof(int));

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AlterColumn<int>(name: "Books[].Pages", table: "Shelves", nullable: false, oldClrType: typeof(long));
}
