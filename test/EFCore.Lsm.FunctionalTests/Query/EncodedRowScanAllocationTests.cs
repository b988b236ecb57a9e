using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>
/// The scan loop allocates nothing per row it counts, sums or refuses on the embedded engine, whose cursors give rows as
/// spans (another backend's cursor may allocate per row, so this test runs on the embedded engine only).
/// </summary>
public sealed class EncodedRowScanAllocationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Counting_and_refusing_rows_allocates_nothing_per_row()
    {
        var path = _temp.Db();
        using var context = EncodedRowScanStorageTests.Create(path, EncodedRowScanStorageTests.Placement.Memtable);
        EncodedRowScanStorageTests.Add(context, 0, 1_000);
        var small = Allocated(context);
        EncodedRowScanStorageTests.Add(context, 1_000, 9_000);
        var large = Allocated(context);

        // Each query allocates what EF and the plan need, the same for 1,000 rows as for 10,000; a byte per row would show as 9,000.
        Assert.True(large - small < 4_000, $"1,000 rows: {small} bytes; 10,000 rows: {large} bytes");
    }

    /// <summary>The bytes this thread allocates for a count, a sum and a scan no row passes, after two runs that compile and warm them.</summary>
    private static long Allocated(EncodedRowScanStorageTests.CustomerContext context)
    {
        var city = "Kraków";
        var nowhere = "nowhere";
        long Run()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            _ = context.Customers.Count(c => c.City == city);
            _ = context.Customers.Where(c => c.City == city).Sum(c => c.Balance);
            _ = context.Customers.AsNoTracking().Where(c => c.City == nowhere && c.Balance >= 1m).ToList();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        _ = Run();
        _ = Run();
        return Run();
    }
}
