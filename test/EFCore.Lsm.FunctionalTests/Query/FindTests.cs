using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests.Query;

/// <summary>Find on converted and composite keys, after a reopen, as EF's specification tests exercise it.</summary>
public sealed class FindTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly QueryLog _log = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Find_by_converted_and_composite_keys_is_a_point_get_after_reopen()
    {
        using (var context = TestContext.Create(_temp.Db()))
        {
            context.Add(new ConvertedKey { Id = new Celsius(-40.5), Value = "cold" });
            context.Add(new ConvertedKey { Id = new Celsius(21), Value = "room" });
            context.Add(new OrderLine { OrderId = 3, Sku = "b\0", Quantity = 7 });
            context.Add(new OrderLine { OrderId = 3, Sku = "b", Quantity = 8 });
            context.SaveChanges();
        }

        using (var context = TestContext.Create(_temp.Db(), b => b.UseLoggerFactory(_log)))
        {
            Assert.Equal("cold", context.Set<ConvertedKey>().Find(new Celsius(-40.5))!.Value);
            Assert.Equal("room", (await context.Set<ConvertedKey>().FindAsync(new Celsius(21)))!.Value);
            Assert.Null(context.Set<ConvertedKey>().Find(new Celsius(22)));
            Assert.Equal(7, context.Set<OrderLine>().Find(3, "b\0")!.Quantity);
            Assert.Equal(8, context.Set<OrderLine>().Find(3, "b")!.Quantity);
            Assert.Null(context.Set<OrderLine>().Find(3, "c"));
        }

        Assert.Equal(6, _log.Plans.Count);
        Assert.All(_log.Plans, plan => Assert.StartsWith("point get ", plan));
    }
}
