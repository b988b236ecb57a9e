using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EFCore.Lsm.Diagnostics.Internal;

/// <summary>The provider's log event definitions, created on first use and cached per logging options.</summary>
internal sealed class LsmLoggingDefinitions : LoggingDefinitions
{
    public EventDefinitionBase? LogQueryPlanExecuting;

    public EventDefinitionBase? LogTransactionEnlisted;

    public EventDefinitionBase? LogEntityTypeNotInModel;

    public EventDefinitionBase? LogPropertyNotInModel;

    public EventDefinitionBase? LogPropertyTypeConverted;

    public EventDefinitionBase? LogMigrationApplying;

    public EventDefinitionBase? LogMigrationReverting;

    public EventDefinitionBase? LogMigrationOperationProgress;

    public EventDefinitionBase? LogMigrationCommitted;

    public EventDefinitionBase? LogMigrationInterrupted;

    public EventDefinitionBase? LogMigrationBatchWritten;
}
