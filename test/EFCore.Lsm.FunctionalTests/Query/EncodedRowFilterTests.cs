using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Query.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// Filters and aggregates that run on the stored rows of a scan (the scan's loop tests comparisons on the encoded bytes and
/// reads aggregated values typed) give exactly what LINQ to objects gives over the same entities: nulls on either side,
/// NaN, decimal scales, code-point string order, parameters that cannot be encoded, converted and enum properties (which
/// stay on the decoded path), and filters only partly simple.
/// </summary>
public sealed class EncodedRowFilterTests : IDisposable
{
    private static readonly string[] Names = ["alice", "Bob", "b", "", "z\u00e9", "\uE000", "\U0001F600", "alice2", "ab\0c"];

    private readonly TempDirectory _temp = new();
    private readonly QueryLog _log = new(CoreEventId.QueryExecutionPlanned.Id);
    private readonly List<Item> _items;

    public EncodedRowFilterTests()
    {
        var random = new Random(7);
        _items = [.. Enumerable.Range(1, 240).Select(i => new Item
        {
            Id = i,
            Name = Names[random.Next(Names.Length)],
            Note = random.Next(3) == 0 ? null : Names[random.Next(Names.Length)],
            Amount = random.Next(4) switch { 0 => 500m, 1 => 500.00m, _ => Math.Round((decimal)random.NextDouble() * 1000, random.Next(4)) },
            Price = random.Next(10) == 0 ? double.NaN : random.Next(-5, 5) * 0.5,
            Quantity = random.Next(-3, 10),
            Maybe = random.Next(3) == 0 ? null : random.Next(-2, 6),
            MaybeAmount = random.Next(3) == 0 ? null : random.Next(100) / 4m,
            At = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(random.Next(-3, 4))).AddHours(random.Next(48)),
            Color = (Shade)random.Next(3),
            Temperature = new Degrees(random.Next(5)),
        })];

        using var context = Create();
        context.AddRange(_items);
        context.SaveChanges();
    }

    public void Dispose() => _temp.Dispose();

    // Its own service provider when asked, so its queries are compiled (and logged) afresh rather than found in the cache.
    private ItemContext Create(bool ownServiceProvider = false) =>
        new(new DbContextOptionsBuilder<ItemContext>().UseTestStore(_temp.Db()).UseLoggerFactory(_log)
            .EnableServiceProviderCaching(!ownServiceProvider).Options);

    public static TheoryData<string?> StringOperands => ["alice", "b", "", null, "\uE000", "\U0001F600", "\uD800", "zz", "ab\0c"];

    [Theory]
    [MemberData(nameof(StringOperands))]
    public void String_equality_and_order_match_linq_with_nulls_and_code_point_order(string? operand)
    {
        using var context = Create();
        Assert.Equal(_items.Count(i => i.Name == operand), context.Items.Count(i => i.Name == operand));
        Assert.Equal(_items.Count(i => i.Note != operand), context.Items.Count(i => i.Note != operand));
        Assert.Equal(_items.Count(i => operand == i.Note), context.Items.Count(i => operand == i.Note));
        Assert.Equal(_items.LongCount(i => !(i.Note == operand)), context.Items.LongCount(i => !(i.Note == operand)));
        Assert.Equal(_items.Any(i => i.Name == operand), context.Items.Any(i => i.Name == operand));
        if (operand is null || operand == "\uD800")
        {
            return;
        }

        Assert.Equal(_items.Count(i => LsmStringComparer.Compare(i.Name, operand) > 0), context.Items.Count(i => string.Compare(i.Name, operand) > 0));
        Assert.Equal(_items.Count(i => LsmStringComparer.Compare(i.Note, operand) <= 0), context.Items.Count(i => string.Compare(i.Note, operand) <= 0));
        Assert.Equal(
            Ids(_items.Where(i => LsmStringComparer.Compare(operand, i.Name) < 0)),
            Ids(context.Items.Where(i => string.Compare(operand, i.Name) < 0)));
    }

    [Fact]
    public void Numbers_compare_as_their_operators_do_NaN_and_decimal_scale_included()
    {
        using var context = Create();
        var amount = 500m;
        var price = 0.5;
        var nan = double.NaN;
        int? maybe = 2;
        int? none = null;
        var at = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(_items.Count(i => i.Amount == amount), context.Items.Count(i => i.Amount == amount));
        Assert.Equal(_items.Count(i => i.Amount >= 500.000m), context.Items.Count(i => i.Amount >= 500.000m));
        Assert.Equal(_items.Count(i => i.Price < price), context.Items.Count(i => i.Price < price));
        Assert.Equal(_items.Count(i => i.Price >= price), context.Items.Count(i => i.Price >= price));
        // Equality of doubles is the property's value comparer's (Equals: NaN equals NaN), as for keys.
        Assert.Equal(_items.Count(i => i.Price.Equals(nan)), context.Items.Count(i => i.Price == nan));
        Assert.Equal(_items.Count(i => !i.Price.Equals(nan)), context.Items.Count(i => i.Price != nan));
        Assert.Equal(_items.Count(i => i.Price <= nan), context.Items.Count(i => i.Price <= nan));
        Assert.Equal(_items.Count(i => i.Maybe == maybe), context.Items.Count(i => i.Maybe == maybe));
        Assert.Equal(_items.Count(i => i.Maybe == none), context.Items.Count(i => i.Maybe == none));
        Assert.Equal(_items.Count(i => i.Maybe != none), context.Items.Count(i => i.Maybe != none));
        Assert.Equal(_items.Count(i => i.Maybe > 3), context.Items.Count(i => i.Maybe > 3));
        Assert.Equal(_items.Count(i => !(i.Maybe > 3)), context.Items.Count(i => !(i.Maybe > 3)));
        Assert.Equal(_items.Count(i => 3 < i.Quantity), context.Items.Count(i => 3 < i.Quantity));
        Assert.Equal(_items.Count(i => i.At >= at), context.Items.Count(i => i.At >= at));
        Assert.Equal(
            Ids(_items.Where(i => i.Amount >= amount && i.Name == "alice" && i.Quantity != 0)),
            Ids(context.Items.Where(i => i.Amount >= amount && i.Name == "alice" && i.Quantity != 0)));
    }

    [Fact]
    public void Aggregates_over_a_filtered_scan_match_linq()
    {
        using var context = Create();
        var name = "alice";
        Assert.Equal(_items.Where(i => i.Name == name).Sum(i => i.Amount), context.Items.Where(i => i.Name == name).Sum(i => i.Amount));
        Assert.Equal(_items.Sum(i => i.Amount), context.Items.Sum(i => i.Amount));
        Assert.Equal(_items.Where(i => i.Note == null).Sum(i => i.Quantity), context.Items.Where(i => i.Note == null).Sum(i => i.Quantity));
        Assert.Equal(_items.Max(i => i.Amount), context.Items.Max(i => i.Amount));
        Assert.Equal(_items.Where(i => i.Quantity > 2).Min(i => i.Price), context.Items.Where(i => i.Quantity > 2).Min(i => i.Price));
        Assert.Equal(_items.Where(i => i.Name != name).Average(i => i.Amount), context.Items.Where(i => i.Name != name).Average(i => i.Amount));
        Assert.Equal(_items.Sum(i => i.MaybeAmount), context.Items.Sum(i => i.MaybeAmount));
        Assert.Equal(_items.Average(i => i.Maybe), context.Items.Average(i => i.Maybe));
        Assert.Equal(_items.Max(i => i.At), context.Items.Max(i => i.At));
        Assert.Equal(_items.Count, context.Items.Count());
        Assert.Equal(_items.LongCount(), context.Items.LongCount());
        Assert.False(context.Items.Any(i => i.Name == "nobody"));
        Assert.Equal(0, context.Items.Where(i => i.Name == "nobody").Sum(i => i.Quantity));
        Assert.Null(context.Items.Where(i => i.Name == "nobody").Max(i => i.Maybe));
        Assert.Throws<InvalidOperationException>(() => context.Items.Where(i => i.Name == "nobody").Max(i => i.Quantity));
    }

    [Fact]
    public void Filters_that_are_not_simple_stay_and_give_the_same_rows()
    {
        using var context = Create();
        var name = "alice";
        Assert.Equal(
            Ids(_items.Where(i => i.Name.StartsWith('a') && i.Amount > 100m)),
            Ids(context.Items.Where(i => i.Name.StartsWith("a") && i.Amount > 100m)));
        Assert.Equal(
            _items.Count(i => i.Temperature == new Degrees(2) && i.Note != name),
            context.Items.Count(i => i.Temperature == new Degrees(2) && i.Note != name));
        Assert.Equal(_items.Count(i => i.Color == Shade.Dark), context.Items.Count(i => i.Color == Shade.Dark));
        Assert.Equal(_items.Count(i => i.Quantity == i.Maybe), context.Items.Count(i => i.Quantity == i.Maybe));
        Assert.Equal(
            _items.Where(i => i.Name == name || i.Quantity > 5).Sum(i => i.Quantity * 2),
            context.Items.Where(i => i.Name == name || i.Quantity > 5).Sum(i => i.Quantity * 2));
        Assert.Equal(
            _items.Where(i => i.Name == name).Select(i => i.Note).OrderBy(n => n, LsmStringComparer.Instance).ToList(),
            context.Items.Where(i => i.Name == name).Select(i => i.Note).ToList().OrderBy(n => n, LsmStringComparer.Instance).ToList());
    }

    [Fact]
    public void Count_Sum_and_a_filtered_scan_run_in_the_scan_loop()
    {
        using var context = Create(ownServiceProvider: true);
        var name = "alice";
        _log.Clear();
        _ = context.Items.Count(i => i.Name == name);
        _ = context.Items.Where(i => i.Name == name).Sum(i => i.Amount);
        _ = context.Items.Where(i => i.Name == name && i.Amount >= 500m).AsNoTracking().ToList();
        var plans = _log.Plans;
        Assert.Equal(3, plans.Count);
        // The printed query names the loops (static methods print without their class) and their filter; no Where is left.
        Assert.True(plans[0].Contains("ConvertChecked(Count(queryContext", StringComparison.Ordinal), plans[0]);
        Assert.True(plans[1].Contains("Values", StringComparison.Ordinal), plans[1]);
        Assert.True(plans[2].Contains("Rows(", StringComparison.Ordinal), plans[2]);
        Assert.All(plans, p => Assert.True(p.Contains("LsmRowFilter", StringComparison.Ordinal) && !p.Contains("Where(", StringComparison.Ordinal), p));
    }

    private static List<int> Ids(IEnumerable<Item> items) => [.. items.Select(i => i.Id).Order()];

    private static List<int> Ids(IQueryable<Item> items) => [.. items.Select(i => i.Id).AsEnumerable().Order()];

    public enum Shade
    {
        Light,
        Dark,
        Mid,
    }

    public readonly record struct Degrees(int Value);

    public sealed class Item
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public string? Note { get; set; }

        public decimal Amount { get; set; }

        public double Price { get; set; }

        public int Quantity { get; set; }

        public int? Maybe { get; set; }

        public decimal? MaybeAmount { get; set; }

        public DateTimeOffset At { get; set; }

        public Shade Color { get; set; }

        public Degrees Temperature { get; set; }
    }

    public sealed class ItemContext(DbContextOptions<ItemContext> options) : DbContext(options)
    {
        public DbSet<Item> Items => Set<Item>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Item>().Property(i => i.Id).ValueGeneratedNever();
            modelBuilder.Entity<Item>().Property(i => i.Temperature).HasConversion(d => d.Value, v => new Degrees(v));
        }
    }
}
