using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Tool.Tests.TestUtilities;

public enum BlogStatus
{
    Draft = 0,
    Published = 2,
}

public class Blog
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public DateTime Created { get; set; }

    public decimal Rating { get; set; }

    public BlogStatus Status { get; set; }

    public byte[]? Logo { get; set; }

    public Guid Uid { get; set; }
}

public class Post
{
    public int BlogId { get; set; }

    public int Number { get; set; }

    public string Title { get; set; } = "";
}

/// <summary>The model as it is now.</summary>
public class BloggingContext(string path) : DbContext
{
    public DbSet<Blog> Blogs => Set<Blog>();

    public DbSet<Post> Posts => Set<Post>();

    protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Blog>().Property(b => b.Id).ValueGeneratedNever();
        model.Entity<Post>().HasKey(p => new { p.BlogId, p.Number });
        model.Entity<Blog>().HasIndex(b => b.Name).IsUnique();
    }
}

/// <summary>An earlier model whose Blog had a Subtitle, which the current model dropped without a migration (so the catalog keeps it and its values).</summary>
public sealed class EarlierBloggingContext(string path) : BloggingContext(path)
{
    protected override void OnModelCreating(ModelBuilder model)
    {
        base.OnModelCreating(model);
        model.Entity<Blog>().Property<string>("Subtitle");
    }
}

/// <summary>An EF database written by the provider: 3 blogs, 5 posts of blog 1 and 1 of blog 2, a Blog.Subtitle the current model lacks.</summary>
internal static class EfSampleDatabase
{
    public const string BlogType = "EFCore.Lsm.Tool.Tests.TestUtilities.Blog";

    public static readonly DateTime Created = new(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);

    public static void Create(string path)
    {
        using (var earlier = new EarlierBloggingContext(path))
        {
            earlier.Database.EnsureCreated();
            var first = new Blog { Id = 1, Name = "Ada's notes", Created = Created, Rating = 4.50m, Status = BlogStatus.Published, Logo = [1, 2, 255], Uid = Guid.Parse("0191f2c4-0000-7000-8000-000000000001") };
            earlier.Add(first);
            earlier.Entry(first).Property("Subtitle").CurrentValue = "engines";
            earlier.SaveChanges();
        }

        using var context = new BloggingContext(path);
        context.Add(new Blog { Id = 2, Name = "Grace", Created = Created.AddDays(1), Rating = 3m });
        context.Add(new Blog { Id = 3, Name = "Linus", Created = Created.AddDays(2), Rating = 5m });
        for (var number = 1; number <= 5; number++)
        {
            context.Add(new Post { BlogId = 1, Number = number, Title = $"post {number}" });
        }

        context.Add(new Post { BlogId = 2, Number = 1, Title = "hello" });
        context.SaveChanges();

        // The provider keeps stores open in a process-wide pool; the tool opens the folder itself.
        EFCore.Lsm.Storage.LsmStorePool.Close(path);
    }
}
