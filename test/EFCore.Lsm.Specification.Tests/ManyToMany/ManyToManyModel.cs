using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.ManyToMany;

// Many-to-many relationships as EF's ManyToManyQuery/ManyToManyTracking tests use them: Post–Tag through skip
// navigations with an implicit join entity (a shared-type property bag EF names "PostTag"), and Student–Course through
// skip navigations over an explicit join entity with a payload (Enrollment: grade and date), which is also reachable
// through its own one-to-many navigations. Blog–Post is an optional one-to-many beside them.
public class Blog
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public List<Post> Posts { get; set; } = [];
}

public class Post
{
    public int Id { get; set; }

    public string Title { get; set; } = "";

    public int Rating { get; set; }

    public DateTime PublishedOn { get; set; }

    public int? BlogId { get; set; }

    public Blog? Blog { get; set; }

    public List<Tag> Tags { get; set; } = [];
}

public class Tag
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public List<Post> Posts { get; set; } = [];
}

public class Student
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public int Year { get; set; }

    public List<Course> Courses { get; set; } = [];

    public List<Enrollment> Enrollments { get; set; } = [];
}

public class Course
{
    public int Id { get; set; }

    public string Title { get; set; } = "";

    public int Credits { get; set; }

    public List<Student> Students { get; set; } = [];

    public List<Enrollment> Enrollments { get; set; } = [];
}

public class Enrollment
{
    public int StudentId { get; set; }

    public int CourseId { get; set; }

    public int? Grade { get; set; }

    public DateTime EnrolledOn { get; set; }

    public Student Student { get; set; } = null!;

    public Course Course { get; set; } = null!;
}

public class SchoolContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Blog> Blogs => Set<Blog>();

    public DbSet<Post> Posts => Set<Post>();

    public DbSet<Tag> Tags => Set<Tag>();

    public DbSet<Student> Students => Set<Student>();

    public DbSet<Course> Courses => Set<Course>();

    public DbSet<Enrollment> Enrollments => Set<Enrollment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Blog>().Property(b => b.Id).ValueGeneratedNever();
        modelBuilder.Entity<Post>().Property(p => p.Id).ValueGeneratedNever();
        modelBuilder.Entity<Tag>().Property(t => t.Id).ValueGeneratedNever();
        modelBuilder.Entity<Student>().Property(s => s.Id).ValueGeneratedNever();
        modelBuilder.Entity<Course>().Property(c => c.Id).ValueGeneratedNever();
        modelBuilder.Entity<Post>().HasOne(p => p.Blog).WithMany(b => b.Posts).HasForeignKey(p => p.BlogId);
        modelBuilder.Entity<Post>().HasMany(p => p.Tags).WithMany(t => t.Posts);
        modelBuilder.Entity<Student>()
            .HasMany(s => s.Courses)
            .WithMany(c => c.Students)
            .UsingEntity<Enrollment>(
                r => r.HasOne(e => e.Course).WithMany(c => c.Enrollments).HasForeignKey(e => e.CourseId),
                l => l.HasOne(e => e.Student).WithMany(s => s.Enrollments).HasForeignKey(e => e.StudentId),
                j => j.HasKey(e => new { e.StudentId, e.CourseId }));
    }
}

/// <summary>The seeded data: a pure function of the seed, with every navigation fixed up (the LINQ-to-objects oracle reads them).</summary>
public sealed class SchoolData
{
    private static readonly string[] TagNames = ["csharp", "efcore", "lsm", "storage", "compaction", "linq", "dotnet", "bloom", "wal", "unused"];
    private static readonly string[] CourseTitles = ["Databases", "Compilers", "Algorithms", "Networks", "Statistics", "Ethics", "Graphics"];

    public SchoolData(int seed = 4711)
    {
        var random = new Random(seed);
        string[] blogNames = ["Engine", "Provider", "Tools", "Äpplen"];
        for (var i = 1; i <= blogNames.Length; i++)
        {
            Blogs.Add(new Blog { Id = i, Name = blogNames[i - 1] });
        }

        for (var i = 1; i <= TagNames.Length; i++)
        {
            Tags.Add(new Tag { Id = i, Name = TagNames[i - 1] });
        }

        var published = new DateTime(2024, 1, 3, 9, 30, 0);
        for (var i = 1; i <= 30; i++)
        {
            published = published.AddDays(random.Next(1, 20)).AddMinutes(random.Next(0, 600));
            var post = new Post
            {
                Id = i,
                Title = "Post " + i + (i % 4 == 0 ? " on storage" : i % 4 == 1 ? " about queries" : ""),
                Rating = random.Next(1, 6),
                PublishedOn = published,
                BlogId = i % 9 == 8 ? null : random.Next(1, blogNames.Length + 1),
            };
            Posts.Add(post);

            // Tags 1..9 only: "unused" has no posts; every seventh post has none.
            var tagCount = i % 7 == 0 ? 0 : random.Next(1, 5);
            foreach (var tagId in Enumerable.Range(1, TagNames.Length - 1).OrderBy(_ => random.Next()).Take(tagCount))
            {
                post.Tags.Add(Tags[tagId - 1]);
            }
        }

        for (var i = 1; i <= CourseTitles.Length; i++)
        {
            Courses.Add(new Course { Id = i, Title = CourseTitles[i - 1], Credits = 2 + (i * 3) % 5 });
        }

        for (var i = 1; i <= 16; i++)
        {
            var student = new Student { Id = i, Name = "Student " + (char)('A' + i - 1), Year = 1 + random.Next(4) };
            Students.Add(student);

            // Courses 1..6 only: "Graphics" has no students; every fifth student takes none.
            var courseCount = i % 5 == 0 ? 0 : random.Next(1, 5);
            foreach (var courseId in Enumerable.Range(1, CourseTitles.Length - 1).OrderBy(_ => random.Next()).Take(courseCount))
            {
                Enrollments.Add(new Enrollment
                {
                    StudentId = i,
                    CourseId = courseId,
                    Grade = random.Next(6) == 0 ? null : random.Next(20, 101),
                    EnrolledOn = new DateTime(2025, 9, 1).AddDays(random.Next(0, 30)),
                });
            }
        }

        // Key order: the order a query without OrderBy returns rows in.
        Enrollments.Sort((a, b) => a.StudentId != b.StudentId ? a.StudentId.CompareTo(b.StudentId) : a.CourseId.CompareTo(b.CourseId));
        FixUp();
    }

    public List<Blog> Blogs { get; } = [];

    public List<Post> Posts { get; } = [];

    public List<Tag> Tags { get; } = [];

    public List<Student> Students { get; } = [];

    public List<Course> Courses { get; } = [];

    public List<Enrollment> Enrollments { get; } = [];

    public IQueryable<T> Set<T>()
        where T : class =>
        typeof(T) == typeof(Blog) ? (IQueryable<T>)Blogs.AsQueryable()
        : typeof(T) == typeof(Post) ? (IQueryable<T>)Posts.AsQueryable()
        : typeof(T) == typeof(Tag) ? (IQueryable<T>)Tags.AsQueryable()
        : typeof(T) == typeof(Student) ? (IQueryable<T>)Students.AsQueryable()
        : typeof(T) == typeof(Course) ? (IQueryable<T>)Courses.AsQueryable()
        : typeof(T) == typeof(Enrollment) ? (IQueryable<T>)Enrollments.AsQueryable()
        : throw new ArgumentException(typeof(T).Name);

    /// <summary>Adds copies of every seeded entity to <paramref name="context"/>; Post–Tag links go through the skip navigation.</summary>
    public void Seed(DbContext context)
    {
        context.AddRange(Blogs.Select(b => new Blog { Id = b.Id, Name = b.Name }));
        var tags = Tags.ToDictionary(t => t.Id, t => new Tag { Id = t.Id, Name = t.Name });
        context.AddRange(tags.Values);
        context.AddRange(Posts.Select(p => new Post
        {
            Id = p.Id, Title = p.Title, Rating = p.Rating, PublishedOn = p.PublishedOn, BlogId = p.BlogId, Tags = [.. p.Tags.Select(t => tags[t.Id])],
        }));
        context.AddRange(Students.Select(s => new Student { Id = s.Id, Name = s.Name, Year = s.Year }));
        context.AddRange(Courses.Select(c => new Course { Id = c.Id, Title = c.Title, Credits = c.Credits }));
        context.AddRange(Enrollments.Select(e => new Enrollment { StudentId = e.StudentId, CourseId = e.CourseId, Grade = e.Grade, EnrolledOn = e.EnrolledOn }));
        context.SaveChanges();
    }

    private void FixUp()
    {
        foreach (var post in Posts)
        {
            post.Blog = Blogs.SingleOrDefault(b => b.Id == post.BlogId);
            post.Blog?.Posts.Add(post);
            foreach (var tag in post.Tags)
            {
                tag.Posts.Add(post);
            }
        }

        foreach (var enrollment in Enrollments)
        {
            enrollment.Student = Students.Single(s => s.Id == enrollment.StudentId);
            enrollment.Course = Courses.Single(c => c.Id == enrollment.CourseId);
            enrollment.Student.Enrollments.Add(enrollment);
            enrollment.Student.Courses.Add(enrollment.Course);
            enrollment.Course.Enrollments.Add(enrollment);
            enrollment.Course.Students.Add(enrollment.Student);
        }
    }
}
