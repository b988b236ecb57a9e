using EFCore.Lsm.DbBench.Workloads;

namespace EFCore.Lsm.DbBench.Ef.Model;

/// <summary>The seeded rows of the EF workloads: customer <c>i</c> is a pure function of <c>i</c> and the run's seed.</summary>
internal sealed class BenchData(ulong seed)
{
    /// <summary>The cities customers live in; the scan and aggregate workloads filter on one of them (1 in 16 rows).</summary>
    public static IReadOnlyList<string> Cities { get; } =
    [
        "Amsterdam", "Berlin", "Cairo", "Dublin", "Edinburgh", "Florence", "Geneva", "Helsinki",
        "Istanbul", "Jakarta", "Kyoto", "Lisbon", "Madrid", "Nairobi", "Oslo", "Prague",
    ];

    /// <summary>Distinct regions: a region holds about 1 in 256 customers (ef-indexed queries one).</summary>
    public const int RegionCount = 256;

    public static string RegionName(int region) => "R" + region.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Orders each customer with orders has (ef-include, ef-join).</summary>
    public const int OrdersPerCustomer = 4;

    /// <summary>How many customers (the first ones) ef-include and ef-join give orders: at most this many, at most all.</summary>
    public const int CustomersWithOrders = 20_000;

    /// <summary>Order <paramref name="id"/> (0-based): customer id / OrdersPerCustomer's, an amount from the id.</summary>
    public static BenchOrder Order(int id) =>
        new() { Id = id, CustomerId = id / OrdersPerCustomer, Amount = (int)((uint)(id * 2654435761u) % 1000) };

    /// <summary>The balance the scan workload filters on: about half the rows have at least this much.</summary>
    public const decimal ScanMinimumBalance = 500m;

    private static readonly DateTime Epoch = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public BenchCustomer Customer(int id)
    {
        var random = new SplitMix64(seed ^ ((ulong)(uint)id * 0x9E3779B97F4A7C15UL)).Next();
        return new BenchCustomer
        {
            Id = id,
            Name = $"Customer {id:D7}",
            City = Cities[(int)(random % (ulong)Cities.Count)],
            Region = RegionName((int)((random >> 40) % RegionCount)),
            Balance = (long)((random >> 8) % 100_000) / 100m,
            Created = Epoch.AddSeconds(id),
        };
    }
}
