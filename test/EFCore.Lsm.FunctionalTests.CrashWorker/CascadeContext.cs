using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.CrashWorker;

public sealed class Parent
{
    public int Id { get; set; }

    public string Code { get; set; } = "";
}

public sealed class Child
{
    public int Id { get; set; }

    public int ParentId { get; set; }

    public int Rank { get; set; }

    public string Tag { get; set; } = "";
}

public sealed class Note
{
    public int Id { get; set; }

    public int? ChildId { get; set; }
}

/// <summary>
/// The crash worker's cascade workload (shared with the test that checks what survived): parents with a unique code,
/// children with an indexed rank and a unique tag deleted by cascade, notes whose child reference is set null.
/// Save n of the workload is <see cref="Save"/>; every save is one batch, so the database is always the state after some
/// save m (<see cref="ChildrenPerParent"/> children and notes per parent).
/// </summary>
public sealed class CascadeContext(string path) : DbContext
{
    public const int ChildrenPerParent = 4;

    public DbSet<Parent> Parents => Set<Parent>();

    public DbSet<Child> Children => Set<Child>();

    public DbSet<Note> Notes => Set<Note>();

    // Small memtables, so kills also land in flushes and compactions.
    protected override void OnConfiguring(DbContextOptionsBuilder options)
        => options.UseLsm(path, o => o.WriteBufferSize(64 * 1024));

    protected override void OnModelCreating(ModelBuilder model)
    {
        foreach (var type in new[] { typeof(Parent), typeof(Child), typeof(Note) })
        {
            model.Entity(type).Property("Id").ValueGeneratedNever();
        }

        model.Entity<Parent>().HasIndex(p => p.Code).IsUnique();
        model.Entity<Child>().HasOne<Parent>().WithMany().HasForeignKey(c => c.ParentId).OnDelete(DeleteBehavior.Cascade);
        model.Entity<Child>().HasIndex(c => c.Rank);
        model.Entity<Child>().HasIndex(c => c.Tag).IsUnique();
        model.Entity<Note>().HasOne<Child>().WithMany().HasForeignKey(n => n.ChildId).OnDelete(DeleteBehavior.SetNull);
    }

    /// <summary>
    /// Save <paramref name="n"/>: inserts parent n with its children and notes; updates the indexed columns of the children
    /// of parent n − 1 (untracked); deletes parent n − 3 without loading anything (its children cascade, their notes are set
    /// null). One SaveChanges.
    /// </summary>
    public void Save(int n)
    {
        Parents.Add(new Parent { Id = n, Code = "p" + n });
        for (var i = 0; i < ChildrenPerParent; i++)
        {
            Children.Add(new Child { Id = (n * 10) + i, ParentId = n, Rank = 0, Tag = $"t{n}-{i}" });
            Notes.Add(new Note { Id = (n * 10) + i, ChildId = (n * 10) + i });
            if (n >= 1)
            {
                Children.Update(new Child { Id = ((n - 1) * 10) + i, ParentId = n - 1, Rank = n, Tag = $"u{n - 1}-{i}" });
            }
        }

        if (n >= 3)
        {
            Parents.Remove(new Parent { Id = n - 3, Code = "p" + (n - 3) });
        }

        SaveChanges();
        ChangeTracker.Clear();
    }

    /// <summary>Every row, one line each, as the database is after save <paramref name="m"/> (none after save −1).</summary>
    public static string Expected(int m)
    {
        var lines = new List<string>();
        for (var p = Math.Max(0, m - 2); p <= m; p++)
        {
            lines.Add($"parent {p} p{p}");
        }

        for (var p = Math.Max(0, m - 2); p <= m; p++)
        {
            for (var i = 0; i < ChildrenPerParent; i++)
            {
                lines.Add(p < m ? $"child {(p * 10) + i} {p} {p + 1} u{p}-{i}" : $"child {(p * 10) + i} {p} 0 t{p}-{i}");
            }
        }

        for (var p = 0; p <= m; p++)
        {
            for (var i = 0; i < ChildrenPerParent; i++)
            {
                lines.Add($"note {(p * 10) + i} {(p >= m - 2 ? ((p * 10) + i).ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}");
            }
        }

        return string.Join("\n", lines);
    }

    /// <summary>Every row, in the layout of <see cref="Expected"/>.</summary>
    public string Actual()
    {
        var lines = new List<string>();
        lines.AddRange(Parents.AsNoTracking().OrderBy(p => p.Id).AsEnumerable().Select(p => $"parent {p.Id} {p.Code}"));
        lines.AddRange(Children.AsNoTracking().OrderBy(c => c.Id).AsEnumerable().Select(c => $"child {c.Id} {c.ParentId} {c.Rank} {c.Tag}"));
        lines.AddRange(Notes.AsNoTracking().OrderBy(n => n.Id).AsEnumerable().Select(n => $"note {n.Id} {n.ChildId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}"));
        return string.Join("\n", lines);
    }
}
