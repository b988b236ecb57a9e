using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Samples.Migrations;

public class Book
{
    public int Id { get; set; }

    public string Isbn { get; set; } = "";

    public string Title { get; set; } = "";

    public string? Note { get; set; }
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
        book.Property(b => b.Id).ValueGeneratedNever();
        book.HasData(
            new Book { Id = 1, Isbn = "978-0", Title = "Dune", Note = "note 1" },
            new Book { Id = 2, Isbn = "978-1", Title = "Emma", Note = "note 2" },
            new Book { Id = 3, Isbn = "978-2", Title = "Ulysses", Note = "note 3" });
    }
}
