using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Integrity;

/// <summary>
/// Deleting a principal applies each foreign key's delete behaviour to the dependents the context does not track, in the
/// same batch, as SQLite's ON DELETE actions do (every scenario also runs on SQLite and must end the same way): Cascade
/// deletes them, transitively; SetNull nulls their foreign key; every other behaviour refuses the delete and writes
/// nothing. Tracked dependents get EF's own behaviour. After each scenario every index and reference is checked, and the
/// outcome is read again after reopening.
/// </summary>
public sealed class DeleteBehaviorTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly OracleRun _oracle;

    public DeleteBehaviorTests() => _oracle = new OracleRun(_temp);

    public void Dispose() => _temp.Dispose();

    public static TheoryData<DeleteBehavior, DeleteBehavior> Behaviors()
    {
        var data = new TheoryData<DeleteBehavior, DeleteBehavior>();
        foreach (var posts in new[] { DeleteBehavior.Cascade, DeleteBehavior.Restrict, DeleteBehavior.NoAction, DeleteBehavior.ClientCascade })
        {
            foreach (var comments in Enum.GetValues<DeleteBehavior>())
            {
                data.Add(posts, comments);
            }
        }

        return data;
    }

    private OracleRun.Outcome Same(DeleteBehaviors behaviors, Action<IntegrityContext> scenario)
    {
        var (lsm, sqlite) = _oracle.Run(behaviors, scenario);
        Assert.Equal(sqlite.Error, lsm.Error);
        Assert.Equal(sqlite.State, lsm.State);
        return lsm;
    }

    [Theory]
    [MemberData(nameof(Behaviors))]
    public void Deleting_a_blog_whose_posts_and_comments_are_not_loaded_does_what_SQLite_does(DeleteBehavior posts, DeleteBehavior comments)
    {
        var outcome = Same(new DeleteBehaviors(posts, comments, DeleteBehavior.SetNull), context =>
        {
            context.Blogs.Remove(context.Blogs.Single(b => b.Id == 1));
            context.SaveChanges();
        });

        if (posts != DeleteBehavior.Cascade)
        {
            Assert.Equal(nameof(DbUpdateException), outcome.Error);
            Assert.Contains($"delete behavior is {posts}", outcome.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_cascade_reaches_three_levels_and_sets_null_where_the_last_level_says_so()
    {
        var cascade = Same(DeleteBehaviors.Cascade, context =>
        {
            context.Blogs.Remove(new Blog { Id = 1 });
            context.SaveChanges();
        });
        Assert.Null(cascade.Error);
        Assert.DoesNotContain("blog=1", cascade.State, StringComparison.Ordinal);
        Assert.DoesNotContain("comment 111", cascade.State, StringComparison.Ordinal);
        Assert.Contains("comment 211 post=21", cascade.State, StringComparison.Ordinal);

        var setNull = Same(new DeleteBehaviors(DeleteBehavior.Cascade, DeleteBehavior.SetNull, DeleteBehavior.SetNull), context =>
        {
            context.Blogs.Remove(new Blog { Id = 1 });
            context.SaveChanges();
        });
        Assert.Null(setNull.Error);
        Assert.Contains("comment 111 post=null", setNull.State, StringComparison.Ordinal);
    }

    [Fact]
    public void A_restrict_below_a_cascade_refuses_the_whole_delete_naming_the_foreign_key()
    {
        var outcome = Same(new DeleteBehaviors(DeleteBehavior.Cascade, DeleteBehavior.Restrict, DeleteBehavior.SetNull), context =>
        {
            context.Blogs.Remove(new Blog { Id = 1 });
            context.SaveChanges();
        });
        Assert.Equal(nameof(DbUpdateException), outcome.Error);
        Assert.Contains("Comment(PostId) → Post(Id)", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("post 11 blog=1", outcome.State, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeleteBehavior.SetNull)]
    [InlineData(DeleteBehavior.ClientSetNull)]
    [InlineData(DeleteBehavior.Cascade)]
    [InlineData(DeleteBehavior.Restrict)]
    public void Deleting_an_author_of_posts_that_are_not_loaded_does_what_SQLite_does(DeleteBehavior authors)
    {
        var outcome = Same(new DeleteBehaviors(DeleteBehavior.Cascade, DeleteBehavior.Cascade, authors), context =>
        {
            context.Authors.Remove(new Author { Id = 1 });
            context.SaveChanges();
        });
        if (authors == DeleteBehavior.SetNull)
        {
            Assert.Contains("post 11 blog=1 author=null", outcome.State, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Behaviors))]
    public void Tracked_dependents_keep_EFs_own_behavior(DeleteBehavior posts, DeleteBehavior comments)
    {
        Same(new DeleteBehaviors(posts, comments, DeleteBehavior.SetNull), context =>
        {
            // Loaded, so EF fixes up the navigations and applies the behaviour itself; the database then sees its writes.
            var blog = context.Blogs.Single(b => b.Id == 1);
            _ = context.Posts.Where(p => p.BlogId == 1).ToList();
            _ = context.Comments.Where(c => c.PostId == 11 || c.PostId == 12).ToList();
            context.Blogs.Remove(blog);
            context.SaveChanges();
        });
    }

    [Fact]
    public void A_post_moved_to_another_blog_in_the_same_save_survives_the_delete_of_its_old_blog()
    {
        var outcome = Same(DeleteBehaviors.Cascade, context =>
        {
            var post = context.Posts.Single(p => p.Id == 12);
            post.BlogId = 2;
            context.Blogs.Remove(context.Blogs.Single(b => b.Id == 1));
            context.SaveChanges();
        });
        Assert.Contains("post 12 blog=2", outcome.State, StringComparison.Ordinal);
        Assert.Contains("comment 121 post=12", outcome.State, StringComparison.Ordinal);
    }

    [Fact]
    public void Inside_a_transaction_the_cascade_is_seen_at_once_and_committed_with_the_delete()
    {
        var path = _temp.Db();
        using (var seed = IntegrityContext.Lsm(path))
        {
            seed.Seed();
        }

        using var context = IntegrityContext.Lsm(path);
        using (var transaction = context.Database.BeginTransaction())
        {
            context.Blogs.Remove(new Blog { Id = 1 });
            context.SaveChanges();
            context.ChangeTracker.Clear();
            Assert.Equal(0, context.Posts.Count(p => p.BlogId == 1));
            Assert.Equal(0, context.Comments.Count(c => c.PostId == 11));

            // A post saved later in the transaction must name a blog the transaction still has.
            context.Posts.Add(new Post { Id = 70, BlogId = 1, Title = "too late" });
            Assert.Throws<DbUpdateException>(() => context.SaveChanges());
            context.ChangeTracker.Clear();

            using (var outside = IntegrityContext.Lsm(path))
            {
                Assert.Equal(3, outside.Posts.Count(p => p.BlogId == 1));
            }

            transaction.Commit();
        }

        Assert.Equal(0, context.Posts.Count(p => p.BlogId == 1));
        Assert.Equal(3, context.Posts.Count());
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void A_transaction_deleting_a_principal_conflicts_with_a_dependent_committed_after_it_began()
    {
        var path = _temp.Db();
        using (var seed = IntegrityContext.Lsm(path))
        {
            seed.Seed();
        }

        using var context = IntegrityContext.Lsm(path);
        var transaction = context.Database.BeginTransaction();
        context.Blogs.Remove(new Blog { Id = 2 });
        context.SaveChanges();
        using (var other = IntegrityContext.Lsm(path))
        {
            other.Posts.Add(new Post { Id = 80, BlogId = 2, Title = "after the transaction began" });
            other.SaveChanges();
        }

        Assert.Throws<DbUpdateConcurrencyException>(() => transaction.Commit());
        context.ChangeTracker.Clear();
        Assert.Equal(4, context.Posts.Count(p => p.BlogId == 2));
        Assert.Empty(context.Problems());
    }

    [Fact]
    public void Unique_values_inside_a_transaction_are_checked_against_its_earlier_saves()
    {
        var path = _temp.Db();
        using (var seed = IntegrityContext.Lsm(path))
        {
            seed.Seed();
        }

        using var context = IntegrityContext.Lsm(path);
        using var transaction = context.Database.BeginTransaction();
        context.Countries.Add(new Country { Id = 5, Code = "FI" });
        context.SaveChanges();
        context.ChangeTracker.Clear();
        context.Countries.Add(new Country { Id = 6, Code = "FI" });
        Assert.Throws<DbUpdateException>(() => context.SaveChanges());
        context.ChangeTracker.Clear();

        // A value freed by an earlier save of the transaction can be taken by a later one.
        context.Countries.Remove(context.Countries.Single(c => c.Id == 2));
        context.SaveChanges();
        context.ChangeTracker.Clear();
        context.Countries.Add(new Country { Id = 7, Code = "SE" });
        context.Cities.Add(new City { Id = 7, CountryCode = "SE", Name = "Malmö" });
        context.SaveChanges();
        transaction.Commit();
        context.ChangeTracker.Clear();
        Assert.Equal(["FI", "NO", "SE"], context.Countries.OrderBy(c => c.Code).Select(c => c.Code).ToList());
        Assert.Equal([1, 2, 7], context.Cities.OrderBy(c => c.Id).Select(c => c.Id).ToList());
        Assert.Empty(context.Problems());
    }
}
