using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EFCore.Lsm.Diagnostics.Internal;

/// <summary>The provider's log event definitions, created on first use and cached per logging options.</summary>
internal sealed class LsmLoggingDefinitions : LoggingDefinitions
{
    public EventDefinitionBase? LogQueryPlanExecuting;

    public EventDefinitionBase? LogTransactionEnlisted;
}
