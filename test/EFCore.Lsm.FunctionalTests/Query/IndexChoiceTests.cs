using System.Globalization;
using System.Text.RegularExpressions;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

public class Reading
{
    public int Id { get; set; }

    public int Sensor { get; set; }

    public int Batch { get; set; }

    public string Note { get; set; } = "";
}

public class ReadingContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Reading> Readings => Set<Reading>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Reading>().Property(r => r.Id).ValueGeneratedNever();
        model.Entity<Reading>().HasIndex(r => r.Sensor, "IX_Sensor");
        model.Entity<Reading>().HasIndex(r => r.Batch, "IX_Batch");
    }
}

/// <summary>
/// A choice between two indexes by the store's range estimates, not by the model's index order: the rows with ids below
/// <see cref="Split"/> share one sensor and have a batch each; the rows above share one batch and have a sensor each. A
/// query on both columns must read the selective index of its values, whichever that is, and return what LINQ-to-objects
/// does, from the memtable and after a reopen from tables.
/// </summary>
public sealed partial class IndexChoiceTests : IDisposable
{
    private const int Count = 3_000;
    private const int Split = 2_500;
    private const int SharedSensor = 0;
    private const int SharedBatch = -1;

    private readonly TempDirectory _temp = new();
    private readonly QueryLog _log = new();
    private readonly List<Reading> _readings;

    public IndexChoiceTests()
    {
        _readings = [.. Enumerable.Range(0, Count).Select(i => new Reading
        {
            Id = i,
            Sensor = i < Split ? SharedSensor : i,
            Batch = i < Split ? i : SharedBatch,
            Note = "r" + i.ToString(CultureInfo.InvariantCulture),
        })];
        foreach (var chunk in _readings.Chunk(200))
        {
            using var db = Create();
            db.AddRange(chunk);
            db.SaveChanges();
        }
    }

    public void Dispose()
    {
        TestStore.Backend.Release(_temp.Path);
        _temp.Dispose();
    }

    // A small write buffer puts most rows and index entries in tables by the end of the seed.
    private ReadingContext Create() => new(new DbContextOptionsBuilder<ReadingContext>()
        .UseTestStore(_temp.Db(), lsm => lsm.WriteBufferSize(64 * 1024))
        .UseLoggerFactory(_log)
        .EnableSensitiveDataLogging()
        .Options);

    private List<int> Query(int sensor, int batch, out string plan)
    {
        using var db = Create();
        _log.Clear();
        var ids = db.Readings.Where(r => r.Sensor == sensor && r.Batch == batch).Select(r => r.Id).ToList();
        plan = Assert.Single(_log.PlansWithEstimates);
        return ids;
    }

    private List<int> Expected(int sensor, int batch) => [.. _readings.Where(r => r.Sensor == sensor && r.Batch == batch).Select(r => r.Id)];

    /// <summary>The estimates of a plan line: index name → estimated rows.</summary>
    private static Dictionary<string, long> Estimates(string plan)
    {
        var match = EstimatesText().Match(plan);
        Assert.True(match.Success, plan);
        return match.Groups[1].Value.Split(", ")
            .Select(part => (Name: part[..part.LastIndexOf(' ')], Rows: part[(part.LastIndexOf(' ') + 1)..]))
            .ToDictionary(p => p.Name, p => long.Parse(p.Rows, CultureInfo.InvariantCulture));
    }

    private void AssertChoices()
    {
        // IX_Sensor holds 2,500 entries for the shared sensor: IX_Batch (one entry) is read.
        Assert.Equal(Expected(SharedSensor, 17), Query(SharedSensor, 17, out var plan));
        Assert.StartsWith("index range Reading.IX_Batch [(17), (17)] (estimated rows: ", plan, StringComparison.Ordinal);
        var estimates = Estimates(plan);
        Assert.True(estimates["IX_Batch"] < estimates["IX_Sensor"], plan);
        Assert.InRange(estimates["IX_Sensor"], Split / 2, Split * 2);

        // The other way round: the shared batch holds 500 entries, the sensor one. By rank alone IX_Batch would be read here
        // too: both are index equalities, and the model lists its indexes by name.
        Assert.Equal(Expected(2_600, SharedBatch), Query(2_600, SharedBatch, out plan));
        Assert.StartsWith("index range Reading.IX_Sensor [(2600), (2600)] (estimated rows: ", plan, StringComparison.Ordinal);
        estimates = Estimates(plan);
        Assert.True(estimates["IX_Sensor"] < estimates["IX_Batch"], plan);

        // Values no row has: whichever index is read, nothing matches.
        Assert.Empty(Query(SharedSensor, SharedBatch, out plan));
        Assert.Equal(Expected(SharedSensor, SharedBatch), []);
    }

    [Fact]
    public void The_index_with_the_smaller_estimated_range_is_read()
    {
        AssertChoices();
    }

    [Fact]
    public void The_choice_holds_after_a_reopen_with_the_data_in_tables()
    {
        TestStore.Close(_temp.Db());
        AssertChoices();
    }

    [Fact]
    public void A_single_index_candidate_asks_for_no_estimate()
    {
        using var db = Create();
        _log.Clear();
        var ids = db.Readings.Where(r => r.Batch == 17).Select(r => r.Id).ToList();
        Assert.Equal([17], ids);
        Assert.Equal("index range Reading.IX_Batch [(17), (17)] covering", Assert.Single(_log.PlansWithEstimates));
    }

    [Fact]
    public void A_selective_index_is_read_instead_of_a_wide_key_range()
    {
        // The key range (rank before an index equality) covers every row; the sensor has one.
        using var db = Create();
        _log.Clear();
        var ids = db.Readings.Where(r => r.Id >= 10 && r.Sensor == 2_600).Select(r => r.Id).ToList();
        Assert.Equal([2_600], ids);
        var plan = Assert.Single(_log.PlansWithEstimates);
        Assert.StartsWith("index range Reading.IX_Sensor [(2600), (2600)] covering (estimated rows: ", plan, StringComparison.Ordinal);
        Assert.True(Estimates(plan)["IX_Sensor"] < Count / 10, plan);

        // A narrow key range stays the choice over a wide index range.
        _log.Clear();
        Assert.Equal(
            _readings.Where(r => r.Id >= 2_990 && r.Batch == SharedBatch).Select(r => r.Id),
            db.Readings.Where(r => r.Id >= 2_990 && r.Batch == SharedBatch).Select(r => r.Id).ToList());
        Assert.StartsWith("range scan Reading [(2990), ()] (estimated rows: ", Assert.Single(_log.PlansWithEstimates), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\(estimated rows: ([^)]*)\)")]
    private static partial Regex EstimatesText();
}
