using System.Text;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Integrity;

public sealed class Blog
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public List<Post> Posts { get; set; } = [];
}

public sealed class Author
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

public sealed class Post
{
    public int Id { get; set; }

    public int BlogId { get; set; }

    public Blog? Blog { get; set; }

    public int? AuthorId { get; set; }

    public Author? Author { get; set; }

    public string Title { get; set; } = "";

    public List<Comment> Comments { get; set; } = [];
}

public sealed class Comment
{
    public int Id { get; set; }

    public int? PostId { get; set; }

    public Post? Post { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>A principal referenced by an alternate key.</summary>
public sealed class Country
{
    public int Id { get; set; }

    public string Code { get; set; } = "";
}

public sealed class City
{
    public int Id { get; set; }

    public string CountryCode { get; set; } = "";

    public string Name { get; set; } = "";
}

/// <summary>The delete behaviours of the three relationships of <see cref="IntegrityContext"/>.</summary>
/// <param name="Posts">Blog → Post (required).</param>
/// <param name="Comments">Post → Comment (optional).</param>
/// <param name="Authors">Author → Post (optional).</param>
public sealed record DeleteBehaviors(DeleteBehavior Posts, DeleteBehavior Comments, DeleteBehavior Authors)
{
    public static readonly DeleteBehaviors Cascade = new(DeleteBehavior.Cascade, DeleteBehavior.Cascade, DeleteBehavior.SetNull);
}

/// <summary>
/// Blogs, posts and comments (three levels of foreign keys), authors (an optional foreign key), and cities referencing
/// countries by an alternate key; on EFCore.Lsm or, as the oracle of EF's behaviour, on SQLite.
/// </summary>
public sealed class IntegrityContext(DbContextOptions options, DeleteBehaviors behaviors, bool sqlite) : DbContext(options)
{
    public DbSet<Blog> Blogs => Set<Blog>();

    public DbSet<Post> Posts => Set<Post>();

    public DbSet<Comment> Comments => Set<Comment>();

    public DbSet<Author> Authors => Set<Author>();

    public DbSet<Country> Countries => Set<Country>();

    public DbSet<City> Cities => Set<City>();

    /// <summary>The model this context builds (the model cache key).</summary>
    public (DeleteBehaviors Behaviors, bool Sqlite) Variant { get; } = (behaviors, sqlite);

    public static IntegrityContext Lsm(string path, DeleteBehaviors? behaviors = null, bool enforceForeignKeys = true) =>
        new(
            new DbContextOptionsBuilder<IntegrityContext>()
                .UseTestStore(path, o => o.EnforceForeignKeys(enforceForeignKeys))
                .ReplaceService<IModelCacheKeyFactory, VariantCacheKeyFactory>()
                .Options,
            behaviors ?? DeleteBehaviors.Cascade,
            sqlite: false);

    public static IntegrityContext Sqlite(string file, DeleteBehaviors? behaviors = null) =>
        new(
            new DbContextOptionsBuilder<IntegrityContext>()
                .UseSqlite($"Data Source={file};Pooling=False")
                .ReplaceService<IModelCacheKeyFactory, VariantCacheKeyFactory>()
                .Options,
            behaviors ?? DeleteBehaviors.Cascade,
            sqlite: true);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        foreach (var type in new[] { typeof(Blog), typeof(Post), typeof(Comment), typeof(Author), typeof(Country), typeof(City) })
        {
            modelBuilder.Entity(type).Property("Id").ValueGeneratedNever();
        }

        modelBuilder.Entity<Post>().HasOne(p => p.Blog).WithMany(b => b.Posts).HasForeignKey(p => p.BlogId).OnDelete(Variant.Behaviors.Posts);
        modelBuilder.Entity<Comment>().HasOne(c => c.Post).WithMany(p => p.Comments).HasForeignKey(c => c.PostId)
            .OnDelete(Variant.Behaviors.Comments);
        modelBuilder.Entity<Post>().HasOne(p => p.Author).WithMany().HasForeignKey(p => p.AuthorId).OnDelete(Variant.Behaviors.Authors);
        modelBuilder.Entity<City>().HasOne<Country>().WithMany().HasForeignKey(c => c.CountryCode).HasPrincipalKey(c => c.Code)
            .OnDelete(DeleteBehavior.Cascade);
    }

    /// <summary>Every row, one line each in a fixed order: what two providers must agree on after the same scenario.</summary>
    public string Dump()
    {
        var text = new StringBuilder();
        foreach (var b in Blogs.AsNoTracking().OrderBy(b => b.Id).ToList())
        {
            text.Append("blog ").Append(b.Id).Append(' ').AppendLine(b.Name);
        }

        foreach (var a in Authors.AsNoTracking().OrderBy(a => a.Id).ToList())
        {
            text.Append("author ").Append(a.Id).AppendLine();
        }

        foreach (var p in Posts.AsNoTracking().OrderBy(p => p.Id).ToList())
        {
            text.Append("post ").Append(p.Id).Append(" blog=").Append(p.BlogId).Append(" author=").Append(p.AuthorId?.ToString() ?? "null")
                .Append(' ').AppendLine(p.Title);
        }

        foreach (var c in Comments.AsNoTracking().OrderBy(c => c.Id).ToList())
        {
            text.Append("comment ").Append(c.Id).Append(" post=").AppendLine(c.PostId?.ToString() ?? "null");
        }

        foreach (var c in Countries.AsNoTracking().OrderBy(c => c.Id).ToList())
        {
            text.Append("country ").Append(c.Id).Append(' ').AppendLine(c.Code);
        }

        foreach (var c in Cities.AsNoTracking().OrderBy(c => c.Id).ToList())
        {
            text.Append("city ").Append(c.Id).Append(' ').AppendLine(c.CountryCode);
        }

        return text.ToString();
    }

    /// <summary>Index and foreign key problems of an EFCore.Lsm database (empty when every index and reference agrees with the rows).</summary>
    public List<string> Problems()
    {
        var database = (LsmDatabaseWrapper)this.GetService<IDatabase>();
        using var view = database.OpenView();
        return LsmIntegrityVerifier.Verify(view, database.Store.GetMappings(Model, sync: false, register: true));
    }

    /// <summary>Seeds two blogs, each with three posts of two comments, authors of some posts, and two countries with cities.</summary>
    public void Seed()
    {
        Authors.AddRange(new Author { Id = 1, Name = "ada" }, new Author { Id = 2, Name = "bob" });
        for (var b = 1; b <= 2; b++)
        {
            var blog = new Blog { Id = b, Name = "blog" + b };
            for (var p = 1; p <= 3; p++)
            {
                var post = new Post { Id = (b * 10) + p, Title = $"post {b}.{p}", AuthorId = p == 3 ? null : p };
                for (var c = 1; c <= 2; c++)
                {
                    post.Comments.Add(new Comment { Id = (((b * 10) + p) * 10) + c, Text = "c" });
                }

                blog.Posts.Add(post);
            }

            Blogs.Add(blog);
        }

        Countries.AddRange(new Country { Id = 1, Code = "NO" }, new Country { Id = 2, Code = "SE" });
        Cities.AddRange(
            new City { Id = 1, CountryCode = "NO", Name = "Oslo" },
            new City { Id = 2, CountryCode = "NO", Name = "Bergen" },
            new City { Id = 3, CountryCode = "SE", Name = "Lund" });
        SaveChanges();
        ChangeTracker.Clear();
    }

    /// <summary>One EF model per variant, as an application that changes its model between runs has.</summary>
    private sealed class VariantCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) =>
            context is IntegrityContext c ? (c.Variant, designTime) : (context.GetType(), designTime);
    }
}

/// <summary>
/// Runs one scenario on EFCore.Lsm and on SQLite (the oracle) from the same seeded state, and reports how each ended:
/// the exception type (or none) and every row afterwards.
/// </summary>
public sealed class OracleRun(TempDirectory temp)
{
    private int _runs;

    public sealed record Outcome(string? Error, string State, string? Message);

    public (Outcome Lsm, Outcome Sqlite) Run(DeleteBehaviors behaviors, Action<IntegrityContext> scenario)
    {
        var run = Interlocked.Increment(ref _runs);
        var lsmPath = temp.Db("lsm" + run);
        Outcome lsm;
        using (var seed = IntegrityContext.Lsm(lsmPath, behaviors))
        {
            seed.Seed();
        }

        using (var context = IntegrityContext.Lsm(lsmPath, behaviors))
        {
            lsm = RunOne(context, scenario);
            Assert.Empty(context.Problems());
        }

        // The outcome survives a reopen.
        Assert.True(TestStore.Close(lsmPath));
        using (var reopened = IntegrityContext.Lsm(lsmPath, behaviors))
        {
            Assert.Equal(lsm.State, reopened.Dump());
            Assert.Empty(reopened.Problems());
        }

        var sqliteFile = System.IO.Path.Combine(temp.Path, $"oracle{run}.db");
        using (var seed = IntegrityContext.Sqlite(sqliteFile, behaviors))
        {
            seed.Database.EnsureCreated();
            seed.Seed();
        }

        using (var context = IntegrityContext.Sqlite(sqliteFile, behaviors))
        {
            return (lsm, RunOne(context, scenario));
        }
    }

    private static Outcome RunOne(IntegrityContext context, Action<IntegrityContext> scenario)
    {
        Exception? error = null;
        try
        {
            scenario(context);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            error = e;
        }

        context.ChangeTracker.Clear();

        // A relational provider's ExecuteDelete/ExecuteUpdate lets the database's own exception through (SqliteException:
        // FOREIGN KEY constraint failed); EFCore.Lsm, having no ADO.NET layer, raises EF's DbUpdateException for the same
        // refusal: the two are the same outcome.
        var kind = error is System.Data.Common.DbException ? nameof(DbUpdateException) : error?.GetType().Name;
        return new Outcome(kind, context.Dump(), error?.Message);
    }
}
