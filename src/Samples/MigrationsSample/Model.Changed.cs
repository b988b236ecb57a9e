using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Samples.Migrations;

// The model after three changes: Note renamed to Remark, an index on Title, and the key changed from Id to Isbn.
public class Book
{
    public int Id { get; set; }

    public string Isbn { get; set; } = "";

    public string Title { get; set; } = "";

    public string? Remark { get; set; }
}

/// <summary>The sample's context. dotnet ef creates it with this constructor; the database folder comes from LSM_SAMPLE_DB.</summary>
public class LibraryContext : DbContext
{
    public DbSet<Book> Books => Set<Book>();

    protected override void OnConfiguring(DbContextOptionsBuilder options) =>
        options.UseLsm(Environment.GetEnvironmentVariable("LSM_SAMPLE_DB") ?? "data/library");

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var book = modelBuilder.Entity<Book>();
        book.HasKey(b => b.Isbn);
        book.HasIndex(b => b.Title);
        book.HasData(
            new Book { Id = 1, Isbn = "978-0", Title = "Dune", Remark = "note 1" },
            new Book { Id = 2, Isbn = "978-1", Title = "Emma", Remark = "note 2" },
            new Book { Id = 3, Isbn = "978-2", Title = "Ulysses", Remark = "note 3" });
    }
}
