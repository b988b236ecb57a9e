using System.ComponentModel.DataAnnotations.Schema;
using System.Text.Json;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// Complex properties of owned types (an owned reference's and an owned collection's elements'), stored in the owned value's
/// map a pair per member (docs/row_encoding.md, "Complex values of owned types"): queries checked against LINQ-to-objects
/// over the same seed, tracking and not, before and after reopening and after changes; the stored bytes of the doc's example.
/// </summary>
public sealed class ComplexInOwnedTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Crate
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public Lid? Lid { get; set; }

        public List<Lid> Slots { get; set; } = [];
    }

    public record class Lid
    {
        public string Code { get; set; } = "";

        // Complex types by attribute: the fluent API of owned types has no ComplexProperty.
        public Label Label { get; set; } = new();

        public Stamp? Stamp { get; set; }
    }

    [ComplexType]
    public record class Label
    {
        public string Text { get; set; } = "";

        public Mark Mark { get; set; } = new();
    }

    [ComplexType]
    public record class Mark
    {
        public int Size { get; set; }
    }

    [ComplexType]
    public record class Stamp
    {
        public string? By { get; set; }

        public int Day { get; set; }
    }

    /// <summary>The model; with <paramref name="complex"/> false, the owned type without its complex properties (an older model).</summary>
    private sealed class CrateContext(string path, bool complex = true) : DbContext
    {
        public DbSet<Crate> Crates => Set<Crate>();

        public bool Complex { get; } = complex;

        protected override void OnConfiguring(DbContextOptionsBuilder options)
        {
            TestStore.Backend.Configure(options, path);
            options.ReplaceService<IModelCacheKeyFactory, CrateShapeCacheKeyFactory>();
        }

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var crate = modelBuilder.Entity<Crate>();
            crate.Property(c => c.Id).ValueGeneratedNever();
            if (Complex)
            {
                crate.OwnsOne(c => c.Lid);
                crate.OwnsMany(c => c.Slots);
            }
            else
            {
                crate.OwnsOne(c => c.Lid, o =>
                {
                    o.Ignore(l => l.Label);
                    o.Ignore(l => l.Stamp);
                });
                crate.Ignore(c => c.Slots);
            }
        }
    }

    private sealed class CrateShapeCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((CrateContext)context).Complex, designTime);
    }

    private CrateContext Open() => new(_temp.Db());

    private static Lid NewLid(int i) => new()
    {
        Code = "C" + i,
        Label = new Label { Text = "T" + i % 4, Mark = new Mark { Size = i % 5 } },
        Stamp = i % 3 == 0 ? null : new Stamp { By = i % 2 == 0 ? null : "B" + i, Day = i },
    };

    private static List<Crate> Seed() =>
    [
        .. Enumerable.Range(1, 12).Select(i => new Crate
        {
            Id = i,
            Name = "N" + i,
            Lid = i % 4 == 0 ? null : NewLid(i),
            Slots = [.. Enumerable.Range(0, i % 3).Select(k => NewLid(i * 10 + k))],
        }),
    ];

    private static IEnumerable<(string Name, Func<IQueryable<Crate>, object?> Run)> Queries()
    {
        yield return ("all", s => s.OrderBy(c => c.Id).ToList());
        yield return ("member of the owned reference's complex value", s => s.Where(c => c.Lid != null && c.Lid.Label.Text == "T1").Select(c => c.Id).ToList());
        yield return ("nested member", s => s.Where(c => c.Lid != null && c.Lid.Label.Mark.Size >= 3).Select(c => c.Id).ToList());
        yield return ("optional value is null", s => s.Where(c => c.Lid != null && c.Lid.Stamp == null).Select(c => c.Id).ToList());
        yield return ("optional member", s => s.Where(c => c.Lid != null && c.Lid.Stamp != null && c.Lid.Stamp.Day > 5).Select(c => c.Id).ToList());
        yield return ("order by member", s => s.Where(c => c.Lid != null).OrderBy(c => c.Lid!.Label.Mark.Size).ThenBy(c => c.Id).Select(c => c.Id).ToList());
        yield return ("project the value", s => s.Where(c => c.Lid != null).OrderBy(c => c.Id).Select(c => c.Lid!.Label).ToList());
        yield return ("project the optional value", s => s.Where(c => c.Lid != null).OrderBy(c => c.Id).Select(c => c.Lid!.Stamp).ToList());
        yield return ("elements by member", s => s.Where(c => c.Slots.Any(l => l.Label.Text == "T2")).Select(c => c.Id).ToList());
        yield return ("count elements by nested member", s => s.OrderBy(c => c.Id).Select(c => c.Slots.Count(l => l.Label.Mark.Size > 1)).ToList());
        yield return ("select many members", s => s.SelectMany(c => c.Slots).Select(l => l.Label.Text + l.Label.Mark.Size).OrderBy(x => x).ToList());
        var label = new Label { Text = "T1", Mark = new Mark { Size = 0 } };
        yield return ("value equal to a parameter", s => s.Where(c => c.Lid != null && c.Lid.Label == label).Select(c => c.Id).ToList());
        yield return ("value not equal to a parameter", s => s.Where(c => c.Lid != null && c.Lid.Label != label).Select(c => c.Id).ToList());
        yield return ("element value equal to a parameter", s => s.Where(c => c.Slots.Any(l => l.Label == label)).Select(c => c.Id).ToList());
        yield return ("sum of a member", s => s.Where(c => c.Lid != null).Sum(c => c.Lid!.Label.Mark.Size));
        yield return ("count by optional member", s => s.Count(c => c.Lid != null && c.Lid.Stamp != null && c.Lid.Stamp.By == null));
        yield return ("anonymous projection", s => s.Where(c => c.Lid != null).OrderBy(c => c.Id)
            .Select(c => new { c.Id, c.Lid!.Label.Text, c.Lid.Stamp, Slots = c.Slots.Count }).ToList());
        yield return ("group by member", s => s.Where(c => c.Lid != null).GroupBy(c => c.Lid!.Label.Text)
            .Select(g => new { g.Key, Count = g.Count() }).OrderBy(g => g.Key).ToList());
        yield return ("elements ordered by member", s => s.OrderBy(c => c.Id)
            .Select(c => c.Slots.OrderByDescending(l => l.Label.Mark.Size).Select(l => l.Code).ToList()).ToList());
        yield return ("project elements", s => s.OrderBy(c => c.Id).Select(c => c.Slots.Select(l => l.Stamp).ToList()).ToList());
    }

    private void CheckAll(List<Crate> expected, string when)
    {
        var failures = new List<string>();
        foreach (var tracking in new[] { true, false })
        {
            foreach (var (name, run) in Queries())
            {
                using var context = Open();
                var oracle = JsonSerializer.Serialize(run(expected.AsQueryable()));
                try
                {
                    var actual = JsonSerializer.Serialize(run(tracking ? context.Crates : context.Crates.AsNoTracking()));
                    if (actual != oracle)
                    {
                        failures.Add($"{when}, tracking {tracking}: '{name}'\n  expected {oracle}\n  actual   {actual}");
                    }
                }
                catch (Exception e)
                {
                    failures.Add($"{when}, tracking {tracking}: '{name}' threw {e}");
                }
            }
        }

        Assert.True(Queries().Count() >= 20, $"{Queries().Count()} queries");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_query_matches_linq_to_objects_before_and_after_reopening_and_after_changes()
    {
        var expected = Seed();
        using (var context = Open())
        {
            context.Crates.AddRange(Seed());
            context.SaveChanges();
        }

        CheckAll(expected, "fresh");
        TestStore.Close(_temp.Db());
        CheckAll(expected, "reopened");

        using (var context = Open())
        {
            foreach (var list in new[] { context.Crates.OrderBy(c => c.Id).ToList(), expected })
            {
                var byId = list.ToDictionary(c => c.Id);
                byId[1].Lid!.Label.Text = "Changed";
                byId[2].Lid!.Label.Mark.Size = 40;
                byId[3].Lid!.Stamp = new Stamp { By = "new", Day = 99 };
                byId[5].Lid!.Stamp = null;
                byId[6].Lid!.Label = new Label { Text = "Whole", Mark = new Mark { Size = 7 } };
                byId[2].Slots[0].Label.Text = "Element";
                byId[5].Slots[0].Stamp!.Day = 77;
                byId[4].Slots.Add(NewLid(400));
            }

            context.SaveChanges();
        }

        CheckAll(expected, "changed");
        TestStore.Close(_temp.Db());
        CheckAll(expected, "changed and reopened");
    }

    [Fact]
    public void Owned_values_written_before_the_owned_type_had_complex_properties_read_with_defaults()
    {
        using (var context = new CrateContext(_temp.Db(), complex: false))
        {
            context.Add(new Crate { Id = 1, Name = "n", Lid = new Lid { Code = "c" } });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = Open())
        {
            var crate = context.Crates.Single();

            // Members the owned map lacks read as their CLR defaults (null for a string); an optional value reads as null.
            Assert.Equal(("c", null, 0), (crate.Lid!.Code, (string?)crate.Lid.Label.Text, crate.Lid.Label.Mark.Size));
            Assert.Null(crate.Lid.Stamp);
            Assert.Equal([1], context.Crates.Where(c => c.Lid!.Stamp == null).Select(c => c.Id).ToList());
            crate.Lid.Label.Text = "t";
            crate.Lid.Stamp = new Stamp { Day = 3 };
            context.SaveChanges();
        }

        using (var context = Open())
        {
            var lid = context.Crates.AsNoTracking().Single().Lid!;
            Assert.Equal(("c", "t", 3), (lid.Code, lid.Label.Text, lid.Stamp!.Day));
        }
    }

    [Fact]
    public void The_members_are_pairs_of_the_owned_map_as_the_doc_shows()
    {
        using (var context = Open())
        {
            context.Crates.Add(new Crate
            {
                Id = 1,
                Name = "n",
                Lid = new Lid { Code = "c", Label = new Label { Text = "t", Mark = new Mark { Size = 2 } } },
            });
            context.SaveChanges();
        }

        using (var context = Open())
        {
            var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
            var mapping = database.GetMapping(context.Model.FindEntityType(typeof(Crate))!);
            using var view = database.OpenView();
            // Catalog ids: Id 1, Name 2, Lid/Code 3, Lid/Label.Text 4, Lid/Label.Mark.Size 5, Lid/Stamp.By 6, Lid/Stamp.Day 7,
            // Slots/Id 8, Slots/Code 9, Slots/Label.Text 10, Slots/Label.Mark.Size 11, Slots/Stamp.By 12, Slots/Stamp.Day 13,
            // Lid 14, Slots 15.
            Assert.Equal(
                "84" + "0101" + "02A16E" + "0E85" + "03A163" + "04A174" + "0502" + "06C0" + "07C0" + "0F90",
                Convert.ToHexString(view.Get(mapping.EncodeKey([1]))!));
        }
    }
}
