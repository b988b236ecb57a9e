using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.ManyToMany;

/// <summary>
/// A change of many-to-many links, made through a tracking context and saved, then read back by <see cref="Query"/> in a
/// new context.
/// </summary>
public sealed record TrackingCase(string Name, Action<SchoolContext> Change, Func<SchoolContext, object?> Query)
{
    public string[] Navigations { get; init; } = [];
}

/// <summary>Link changes after EF's ManyToManyTracking tests: add, remove, move, clear, cascade, payload updates.</summary>
public static class ManyToManyTracking
{
    private static TrackingCase Posts(string name, Action<SchoolContext> change) =>
        new(name, change, db => db.Posts.Include(p => p.Tags).ToList()) { Navigations = ["Tags"] };

    private static TrackingCase Students(string name, Action<SchoolContext> change) =>
        new(name, change, db => db.Students.Include(x => x.Courses).Include(x => x.Enrollments).ToList())
        {
            Navigations = ["Courses", "Enrollments"],
        };

    public static IEnumerable<TrackingCase> All()
    {
        yield return Posts("add an existing tag through the skip navigation", db =>
        {
            var post = db.Posts.Include(p => p.Tags).Single(p => p.Id == 7);
            post.Tags.Add(db.Tags.Single(t => t.Id == 2));
        });
        yield return Posts("remove a tag through the skip navigation", db =>
        {
            var post = db.Posts.Include(p => p.Tags).Single(p => p.Id == 1);
            post.Tags.Remove(post.Tags.OrderBy(t => t.Id).First());
        });
        yield return Posts("add a link from the inverse side", db =>
        {
            var tag = db.Tags.Include(t => t.Posts).Single(t => t.Name == "unused");
            tag.Posts.AddRange(db.Posts.Where(p => p.Id <= 3));
        });
        yield return Posts("add a new tag to posts", db =>
        {
            var tag = new Tag { Id = 100, Name = "new" };
            foreach (var post in db.Posts.Include(p => p.Tags).Where(p => p.Rating >= 4))
            {
                post.Tags.Add(tag);
            }
        });
        yield return Posts("move a link", db =>
        {
            var post = db.Posts.Include(p => p.Tags).Single(p => p.Id == 2);
            post.Tags.Clear();
            post.Tags.Add(db.Tags.Single(t => t.Id == 9));
        });
        yield return Posts("clear every link of a post", db => db.Posts.Include(p => p.Tags).Single(p => p.Id == 3).Tags.Clear());
        yield return Posts("delete a tag: its links go with it", db => db.Tags.Remove(db.Tags.Single(t => t.Name == "lsm")));
        yield return new("delete a post: its links go with it", db => db.Posts.Remove(db.Posts.Single(p => p.Id == 4)),
            db => db.Tags.Include(t => t.Posts).ToList()) { Navigations = ["Posts"] };
        yield return Posts("a new post with new and existing tags", db => db.Posts.Add(new Post
        {
            Id = 200, Title = "New post", Rating = 3, PublishedOn = new DateTime(2026, 1, 1), Tags = [db.Tags.Single(t => t.Id == 1), new Tag { Id = 201, Name = "fresh" }],
        }));
        yield return Posts("remove one tag from several posts", db =>
        {
            var tag = db.Tags.Single(t => t.Id == 5);
            db.Posts.Include(p => p.Tags).Where(p => p.Id >= 25).ToList().ForEach(p => p.Tags.Remove(tag));
        });
        yield return Students("enroll through the join entity with its payload", db =>
            db.Enrollments.Add(new Enrollment { StudentId = 5, CourseId = 7, Grade = 88, EnrolledOn = new DateTime(2025, 10, 2) }));
        yield return Students("enroll through the payload skip navigation", db =>
        {
            var student = db.Students.Include(x => x.Courses).Single(x => x.Id == 10);
            student.Courses.Add(db.Courses.Single(c => c.Id == 7));
        });
        yield return Students("leave a course through the payload skip navigation", db =>
        {
            var student = db.Students.Include(x => x.Courses).Single(x => x.Id == 1);
            student.Courses.Remove(student.Courses.OrderBy(c => c.Id).First());
        });
        yield return Students("update the payload", db =>
        {
            foreach (var enrollment in db.Enrollments.Where(e => e.Grade == null))
            {
                enrollment.Grade = 50;
            }
        });
        // The enrollments are loaded so that EF cascades in the change tracker: InMemory keeps unloaded dependents as orphans,
        // where this provider deletes them in the store (both then read back the same).
        yield return Students("delete a course: its enrollments go with it", db => db.Courses.Remove(db.Courses.Include(c => c.Enrollments).Single(c => c.Id == 1)));
    }
}
