using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.Diagnostics.Internal;

/// <summary>Writes the provider's log events.</summary>
internal static class LsmLoggerExtensions
{
    /// <summary>Logs <see cref="LsmEventId.QueryPlanExecuting"/>: the plan a query is about to run.</summary>
    public static void QueryPlanExecuting(this IDiagnosticsLogger<DbLoggerCategory.Query> logger, string plan)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        var definition = (EventDefinition<string>)(definitions.LogQueryPlanExecuting ??= new EventDefinition<string>(
            logger.Options,
            LsmEventId.QueryPlanExecuting,
            LogLevel.Information,
            "LsmEventId.QueryPlanExecuting",
            level => LoggerMessage.Define<string>(level, LsmEventId.QueryPlanExecuting, "{plan}")));

        if (logger.ShouldLog(definition))
        {
            definition.Log(logger, plan);
        }
    }
}
