using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.ManyToMany;

/// <summary>
/// Queries through many-to-many relationships, modelled on EF's ManyToManyQuery and ManyToManyNoTrackingQuery tests:
/// Include of skip navigations (filtered too), Any/All/Count over them, SelectMany through them, joins over the explicit
/// join entity, GroupBy by a related value, no-tracking. Our own queries over our own seed.
/// </summary>
public static class ManyToManyQueries
{
    private static IQueryable<Blog> B(IQuerySource s) => s.Set<Blog>();

    private static IQueryable<Post> P(IQuerySource s) => s.Set<Post>();

    private static IQueryable<Tag> T(IQuerySource s) => s.Set<Tag>();

    private static IQueryable<Student> S(IQuerySource s) => s.Set<Student>();

    private static IQueryable<Course> C(IQuerySource s) => s.Set<Course>();

    private static IQueryable<Enrollment> E(IQuerySource s) => s.Set<Enrollment>();

    /// <summary>The sets as a database query reads them without tracking (the same sets through LINQ-to-objects).</summary>
    private static IQueryable<TEntity> NoTracking<TEntity>(IQuerySource s)
        where TEntity : class => s.IsDatabase ? s.Set<TEntity>().AsNoTracking() : s.Set<TEntity>();

    /// <summary>
    /// The sets as a tracking query reads them, also in the no-tracking pass: EF refuses an Include path that cycles back
    /// (Post.Tags then Tag.Posts) in a no-tracking query.
    /// </summary>
    private static IQueryable<TEntity> Tracking<TEntity>(IQuerySource s)
        where TEntity : class => s.IsDatabase ? s.Set<TEntity>().AsTracking() : s.Set<TEntity>();

    public static IEnumerable<QueryCase> All() =>
        [.. Include(), .. Where(), .. Select(), .. SelectMany(), .. Join(), .. GroupBy(), .. Aggregates(), .. NoTrackingQueries()];

    private static QueryCase Q(string family, string name, Func<IQuerySource, object?> run, bool ordered = false) =>
        new(family, name, run) { Ordered = ordered };

    private static QueryCase I(string name, Func<IQuerySource, object?> run, params string[] navigations) =>
        new("ManyToMany Include", name, run) { Navigations = navigations };

    private static QueryCase Filtered(string name, Func<IQuerySource, object?> run, Func<IQuerySource, object?> expected) =>
        new("ManyToMany Include", name, run) { Oracle = Oracle.Explicit, Expected = expected };

    public static IEnumerable<QueryCase> Include()
    {
        yield return I("skip navigation", s => P(s).Include(p => p.Tags).ToList(), "Tags");
        yield return I("inverse skip navigation", s => T(s).Include(t => t.Posts).ToList(), "Posts");
        yield return I("skip navigation then inverse", s => Tracking<Post>(s).Include(p => p.Tags).ThenInclude(t => t.Posts).ToList(), "Tags.Posts");
        yield return I("reference and skip navigation", s => P(s).Include(p => p.Blog).Include(p => p.Tags).ToList(), "Blog", "Tags");
        yield return I("collection then skip navigation", s => B(s).Include(b => b.Posts).ThenInclude(p => p.Tags).ToList(), "Posts.Tags");
        yield return I("skip navigation with payload", s => S(s).Include(x => x.Courses).ToList(), "Courses");
        yield return I("inverse skip navigation with payload", s => C(s).Include(c => c.Students).ToList(), "Students");
        yield return I("join entity then reference", s => S(s).Include(x => x.Enrollments).ThenInclude(e => e.Course).ToList(), "Enrollments.Course");
        yield return I("skip navigation and join entity", s => S(s).Include(x => x.Courses).Include(x => x.Enrollments).ToList(), "Courses", "Enrollments");
        yield return I("join entity references", s => E(s).Include(e => e.Student).Include(e => e.Course).ToList(), "Student", "Course");
        yield return I("filtered root", s => P(s).Include(p => p.Tags).Where(p => p.Rating > 3).ToList(), "Tags");
        yield return I("point root", s => P(s).Include(p => p.Tags).Where(p => p.Id == 5).ToList(), "Tags");
        yield return I("ordered root taken", s => T(s).Include(t => t.Posts).OrderBy(t => t.Name).Take(3).ToList(), "Posts");
        yield return I("single root", s => new[] { S(s).Include(x => x.Courses).Single(x => x.Id == 2) }, "Courses");
        yield return I("string path", s => s.IsDatabase ? P(s).AsTracking().Include("Tags.Posts").ToList() : P(s).ToList(), "Tags.Posts");
        yield return I("split query", s => s.IsDatabase ? P(s).Include(p => p.Tags).AsSplitQuery().ToList() : P(s).ToList(), "Tags");
        yield return I("single query", s => s.IsDatabase ? C(s).Include(c => c.Students).AsSingleQuery().ToList() : C(s).ToList(), "Students");
        yield return I("no tracking", s => NoTracking<Post>(s).Include(p => p.Blog).Include(p => p.Tags).ToList(), "Blog", "Tags");
        yield return I("no tracking with identity resolution", s => s.IsDatabase ? S(s).AsNoTrackingWithIdentityResolution().Include(x => x.Courses).ThenInclude(c => c.Students).ToList() : S(s).ToList(), "Courses.Students");
        yield return I("Include with Where on skip navigation", s => P(s).Include(p => p.Tags).Where(p => p.Tags.Any(t => t.Name == "lsm")).ToList(), "Tags");

        yield return Filtered("filtered skip navigation",
            s => P(s).Include(p => p.Tags.Where(t => t.Name.StartsWith("c"))).ToList().Select(p => new { p.Id, Tags = p.Tags.Select(t => t.Name).ToList() }).ToList(),
            s => P(s).Select(p => new { p.Id, Tags = p.Tags.Where(t => t.Name.StartsWith("c")).Select(t => t.Name).ToList() }).ToList());
        yield return Filtered("filtered inverse skip navigation ordered and taken",
            s => T(s).Include(t => t.Posts.OrderBy(p => p.Id).Take(2)).ToList().Select(t => new { t.Id, Posts = t.Posts.Select(p => p.Id).ToList() }).ToList(),
            s => T(s).Select(t => new { t.Id, Posts = t.Posts.OrderBy(p => p.Id).Take(2).Select(p => p.Id).ToList() }).ToList());
        yield return Filtered("filtered skip navigation with payload",
            s => S(s).Include(x => x.Courses.Where(c => c.Credits > 3)).ToList().Select(x => new { x.Id, Courses = x.Courses.Select(c => c.Title).ToList() }).ToList(),
            s => S(s).Select(x => new { x.Id, Courses = x.Courses.Where(c => c.Credits > 3).Select(c => c.Title).ToList() }).ToList());
        yield return Filtered("filtered join entity then reference",
            s => S(s).Include(x => x.Enrollments.Where(e => e.Grade != null)).ThenInclude(e => e.Course).ToList()
                .Select(x => new { x.Id, Grades = x.Enrollments.Select(e => new { e.Course.Title, e.Grade }).ToList() }).ToList(),
            s => S(s).Select(x => new { x.Id, Grades = x.Enrollments.Where(e => e.Grade != null).Select(e => new { e.Course.Title, e.Grade }).ToList() }).ToList());
        yield return Filtered("filtered skip navigation then include",
            s => Tracking<Post>(s).Include(p => p.Tags.Where(t => t.Id < 5)).ThenInclude(t => t.Posts).ToList()
                .Select(p => new { p.Id, Tags = p.Tags.Select(t => new { t.Name, Posts = t.Posts.Count }).ToList() }).ToList(),
            s => P(s).Select(p => new { p.Id, Tags = p.Tags.Where(t => t.Id < 5).Select(t => new { t.Name, Posts = t.Posts.Count }).ToList() }).ToList());
    }

    public static IEnumerable<QueryCase> Where()
    {
        const string F = "ManyToMany Where";
        var wanted = new[] { "wal", "bloom" };
        yield return Q(F, "skip navigation Any", s => P(s).Where(p => p.Tags.Any()).Select(p => p.Id).ToList());
        yield return Q(F, "skip navigation not Any", s => P(s).Where(p => !p.Tags.Any()).Select(p => p.Id).ToList());
        yield return Q(F, "skip navigation Any predicate", s => P(s).Where(p => p.Tags.Any(t => t.Name == "efcore")).ToList());
        yield return Q(F, "skip navigation All", s => P(s).Where(p => p.Tags.All(t => t.Name.Length > 3)).Select(p => p.Id).ToList());
        yield return Q(F, "skip navigation Count", s => P(s).Where(p => p.Tags.Count > 2).Select(p => p.Id).ToList());
        yield return Q(F, "inverse skip navigation Count predicate", s => T(s).Where(t => t.Posts.Count(p => p.Rating >= 4) >= 2).Select(t => t.Name).ToList());
        yield return Q(F, "payload skip navigation Any predicate", s => S(s).Where(x => x.Courses.Any(c => c.Title == "Databases")).Select(x => x.Name).ToList());
        yield return Q(F, "join entity Any on payload", s => S(s).Where(x => x.Enrollments.Any(e => e.Grade == null)).Select(x => x.Id).ToList());
        yield return Q(F, "payload skip navigation All", s => S(s).Where(x => x.Courses.All(c => c.Credits >= 3)).Select(x => x.Id).ToList());
        yield return Q(F, "inverse skip navigation empty", s => C(s).Where(c => c.Students.Count == 0).Select(c => c.Title).ToList());
        yield return Q(F, "skip navigation Contains value", s => P(s).Where(p => p.Tags.Select(t => t.Name).Contains("storage")).Select(p => p.Id).ToList());
        yield return Q(F, "skip navigation any in list", s => P(s).Where(p => p.Tags.Any(t => wanted.Contains(t.Name))).Select(p => p.Id).ToList());
        yield return Q(F, "two levels of skip navigations", s => P(s).Where(p => p.Tags.Any(t => t.Posts.Count > 8)).Select(p => p.Id).ToList());
        yield return Q(F, "skip navigation and scalar", s => P(s).Where(p => p.Rating == 5 && p.Tags.Any(t => t.Id > 6)).Select(p => p.Id).ToList());
        yield return Q(F, "payload average in predicate", s => C(s).Where(c => c.Enrollments.Average(e => (double?)e.Grade) > 60).Select(c => c.Title).ToList());
        yield return new QueryCase(F, "through optional reference", s => T(s).Where(t => t.Posts.Any(p => p.Blog!.Name == "Engine")).Select(t => t.Name).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => T(s).Where(t => t.Posts.Any(p => p.Blog != null && p.Blog.Name == "Engine")).Select(t => t.Name).ToList(),
        };
    }

    public static IEnumerable<QueryCase> Select()
    {
        const string F = "ManyToMany Select";
        yield return Q(F, "skip navigation values", s => P(s).Select(p => new { p.Id, Tags = p.Tags.Select(t => t.Name).ToList() }).ToList());
        yield return Q(F, "skip navigation Count", s => P(s).Select(p => new { p.Id, p.Tags.Count }).ToList());
        yield return Q(F, "inverse skip navigation ordered values", s => T(s).Select(t => new { t.Name, Posts = t.Posts.OrderBy(p => p.Id).Select(p => p.Title).ToList() }).ToList());
        yield return Q(F, "payload skip navigation Sum", s => S(s).Select(x => new { x.Name, Credits = x.Courses.Sum(c => c.Credits) }).ToList());
        yield return Q(F, "join entity Average of nullable payload", s => S(s).Select(x => new { x.Id, Average = x.Enrollments.Average(e => (double?)e.Grade) }).ToList());
        yield return Q(F, "inverse Max over possibly empty", s => C(s).Select(c => new { c.Title, Senior = c.Students.Max(x => (int?)x.Year) }).ToList());
        yield return Q(F, "skip navigation FirstOrDefault", s => P(s).Select(p => p.Tags.OrderBy(t => t.Name).Select(t => t.Name).FirstOrDefault()).ToList());
        yield return Q(F, "entity and skip navigation entities", s => S(s).Select(x => new { x, Courses = x.Courses.ToList() }).ToList());
        yield return Q(F, "skip navigation Any", s => P(s).Select(p => new { p.Id, Tagged = p.Tags.Any() }).ToList());
        yield return Q(F, "join entity projection through reference", s => S(s).Select(x => x.Enrollments.Select(e => new { e.Course.Title, e.Grade }).ToList()).ToList());
        yield return Q(F, "skip navigation filtered ordered taken", s => S(s).OrderBy(x => x.Id).Select(x => x.Courses.Where(c => c.Credits > 2).OrderBy(c => c.Title).Take(2).Select(c => c.Id).ToList()).ToList(), ordered: true);
        yield return Q(F, "nested skip navigations", s => P(s).Select(p => p.Tags.Select(t => new { t.Name, Others = t.Posts.Where(o => o.Id != p.Id).Select(o => o.Id).ToList() }).ToList()).ToList());
    }

    public static IEnumerable<QueryCase> SelectMany()
    {
        const string F = "ManyToMany SelectMany";
        yield return Q(F, "through skip navigation", s => P(s).SelectMany(p => p.Tags, (p, t) => new { p.Id, t.Name }).ToList());
        yield return Q(F, "inverse then Distinct entities", s => T(s).Where(t => t.Id <= 3).SelectMany(t => t.Posts).Distinct().ToList());
        yield return Q(F, "through payload skip navigation", s => S(s).SelectMany(x => x.Courses).Select(c => c.Title).ToList());
        yield return Q(F, "through join entity filtered on payload", s => S(s).SelectMany(x => x.Enrollments.Where(e => e.Grade > 80), (x, e) => new { x.Name, e.CourseId, e.Grade }).ToList());
        yield return Q(F, "with DefaultIfEmpty", s => (from p in P(s) from t in p.Tags.DefaultIfEmpty() select new { p.Id, Tag = t == null ? null : t.Name }).ToList());
        yield return Q(F, "two hops", s => (from b in B(s) from p in b.Posts from t in p.Tags select new { Blog = b.Name, Tag = t.Name }).ToList());
        yield return Q(F, "Count", s => P(s).SelectMany(p => p.Tags).Count());
        yield return Q(F, "classmates", s => S(s).Where(x => x.Id <= 4).SelectMany(x => x.Courses.SelectMany(c => c.Students), (x, m) => new { x.Id, Mate = m.Id }).Distinct().ToList());
        yield return Q(F, "then OrderBy", s => P(s).SelectMany(p => p.Tags, (p, t) => new { p.Id, t.Name }).OrderBy(x => x.Name).ThenBy(x => x.Id).ToList(), ordered: true);
        yield return Q(F, "through skip navigation then Where", s => T(s).SelectMany(t => t.Posts, (t, p) => new { t.Name, p.Rating }).Where(x => x.Rating >= 4).ToList());
    }

    public static IEnumerable<QueryCase> Join()
    {
        const string F = "ManyToMany Join";
        yield return Q(F, "join entity to principal", s => (from e in E(s) join x in S(s) on e.StudentId equals x.Id select new { x.Name, e.CourseId, e.Grade }).ToList());
        yield return Q(F, "join entity to both principals", s => (from e in E(s) join x in S(s) on e.StudentId equals x.Id join c in C(s) on e.CourseId equals c.Id select new { x.Name, c.Title }).ToList());
        yield return Q(F, "left join to join entity", s => (from c in C(s)
                                                            join e in E(s) on c.Id equals e.CourseId into enrolled
                                                            from e in enrolled.DefaultIfEmpty()
                                                            select new { c.Title, Student = e == null ? (int?)null : e.StudentId }).ToList());
        yield return Q(F, "correlated count of join entity", s => C(s).Select(c => new { c.Title, N = E(s).Count(e => e.CourseId == c.Id) }).ToList());
        yield return Q(F, "join filtered on payload", s => (from x in S(s) join e in E(s).Where(e => e.Grade >= 50) on x.Id equals e.StudentId select new { x.Id, e.CourseId }).ToList());
        yield return Q(F, "join then skip navigation", s => (from e in E(s) join c in C(s) on e.CourseId equals c.Id where e.Grade > 70 select new { e.StudentId, Classmates = c.Students.Count }).ToList());
        yield return Q(F, "cross join with skip navigation test", s => (from p in P(s) from t in T(s) where t.Id <= 3 && p.Tags.Contains(t) select new { Post = p.Id, Tag = t.Id }).ToList());
    }

    public static IEnumerable<QueryCase> GroupBy()
    {
        const string F = "ManyToMany GroupBy";
        yield return Q(F, "by tag through skip navigation", s => P(s).SelectMany(p => p.Tags, (p, t) => new { t.Name, p.Rating })
            .GroupBy(x => x.Name).Select(g => new { g.Key, Count = g.Count(), Average = g.Average(x => x.Rating) }).ToList());
        yield return Q(F, "join entity by related title", s => E(s).GroupBy(e => e.Course.Title).Select(g => new { g.Key, Count = g.Count(), Average = g.Average(e => e.Grade) }).ToList());
        yield return Q(F, "join entity by related year", s => E(s).GroupBy(e => e.Student.Year).Select(g => new { g.Key, Best = g.Max(e => e.Grade) }).ToList());
        yield return new QueryCase(F, "by optional related name", s => P(s).GroupBy(p => p.Blog!.Name).Select(g => new { g.Key, Tags = g.Sum(p => p.Tags.Count) }).ToList())
        {
            Oracle = Oracle.Explicit,
            Expected = s => P(s).GroupBy(p => p.Blog == null ? null : p.Blog.Name).Select(g => new { g.Key, Tags = g.Sum(p => p.Tags.Count) }).ToList(),
        };
        yield return Q(F, "composite key over payload", s => E(s).GroupBy(e => new { e.CourseId, Passed = e.Grade >= 50 }).Select(g => new { g.Key.CourseId, g.Key.Passed, N = g.Count() }).ToList());
        yield return Q(F, "by skip navigation count", s => S(s).GroupBy(x => x.Courses.Count).Select(g => new { g.Key, Students = g.Count() }).ToList());
        yield return Q(F, "final GroupBy of join entity", s => E(s).GroupBy(e => e.CourseId, e => e.StudentId).ToList());
        yield return Q(F, "having over skip navigation", s => T(s).SelectMany(t => t.Posts, (t, p) => new { t.Name, p.BlogId }).GroupBy(x => x.Name).Where(g => g.Count() >= 4).Select(g => g.Key).ToList());
    }

    public static IEnumerable<QueryCase> Aggregates()
    {
        const string F = "ManyToMany Aggregates";
        yield return Q(F, "join entity Count", s => E(s).Count());
        yield return Q(F, "join entity Average payload", s => E(s).Average(e => e.Grade));
        yield return Q(F, "Sum of skip navigation counts", s => P(s).Sum(p => p.Tags.Count));
        yield return Q(F, "Max of skip navigation counts", s => S(s).Max(x => x.Courses.Count));
        yield return Q(F, "Any through skip navigation", s => T(s).Any(t => t.Posts.Any(p => p.Rating == 5)));
        yield return Q(F, "All through skip navigation", s => C(s).All(c => c.Students.All(x => x.Year >= 1)));
    }

    public static IEnumerable<QueryCase> NoTrackingQueries()
    {
        const string F = "ManyToMany NoTracking";
        yield return new("ManyToMany NoTracking", "skip navigation Include", s => NoTracking<Tag>(s).Include(t => t.Posts).ThenInclude(p => p.Blog).ToList()) { Navigations = ["Posts.Blog"] };
        yield return new("ManyToMany NoTracking", "payload skip navigation Include", s => NoTracking<Course>(s).Include(c => c.Students).Include(c => c.Enrollments).ToList()) { Navigations = ["Students", "Enrollments"] };
        yield return Q(F, "SelectMany entities", s => NoTracking<Student>(s).SelectMany(x => x.Courses).ToList());
        yield return Q(F, "projection of skip navigation entities", s => NoTracking<Post>(s).Select(p => new { p.Title, p.Tags }).ToList());
    }
}
