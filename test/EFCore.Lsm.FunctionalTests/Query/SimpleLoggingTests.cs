using EFCore.Lsm.Diagnostics;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.FunctionalTests.Query;

public sealed class SimpleLoggingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Query_plans_reach_LogTo_like_EF_events_do()
    {
        // Regression: the plan event went to ILogger only, so LogTo (simple logging) never showed it.
        var lines = new List<string>();
        using (var context = TestContext.Create(_temp.Db()))
        {
            context.Add(new Customer { Id = 7, Name = "ada" });
            context.SaveChanges();
        }

        using (var context = TestContext.Create(_temp.Db(), b => b.LogTo(
                   lines.Add, [LsmEventId.QueryPlanExecuting], LogLevel.Information, DbContextLoggerOptions.None)))
        {
            Assert.NotNull(context.Set<Customer>().Find(7));
        }

        // Without EnableSensitiveDataLogging the plan shows no key values.
        Assert.Equal(["point get Customer (?)"], lines.Select(l => l.Trim()));
    }
}
