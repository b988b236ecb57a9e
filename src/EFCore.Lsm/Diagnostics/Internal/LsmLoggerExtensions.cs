using System.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.Diagnostics.Internal;

/// <summary>Writes the provider's log events.</summary>
internal static class LsmLoggerExtensions
{
    /// <summary>Logs a tolerated schema difference (<see cref="LsmEventId.EntityTypeNotInModel"/> and friends) as a warning.</summary>
    public static void SchemaDrift(this IDiagnosticsLogger<DbLoggerCategory.Model> logger, Metadata.LsmSchemaDifference difference)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        switch (difference.Kind)
        {
            case Metadata.LsmSchemaDifferenceKind.EntityTypeNotInModel:
                Message(logger, ref definitions.LogEntityTypeNotInModel, LsmEventId.EntityTypeNotInModel, LogLevel.Warning, difference.Message);
                break;
            case Metadata.LsmSchemaDifferenceKind.PropertyNotInModel:
                Message(logger, ref definitions.LogPropertyNotInModel, LsmEventId.PropertyNotInModel, LogLevel.Warning, difference.Message);
                break;
            default:
                Message(logger, ref definitions.LogPropertyTypeConverted, LsmEventId.PropertyTypeConverted, LogLevel.Warning, difference.Message);
                break;
        }
    }

    /// <summary>Logs <see cref="LsmEventId.MigrationApplying"/> or <see cref="LsmEventId.MigrationReverting"/>.</summary>
    public static void MigrationStarting(this IDiagnosticsLogger<DbLoggerCategory.Migrations> logger, string migrationId, bool down)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        if (down)
        {
            Message(logger, ref definitions.LogMigrationReverting, LsmEventId.MigrationReverting, LogLevel.Information,
                $"Reverting migration '{migrationId}'.");
        }
        else
        {
            Message(logger, ref definitions.LogMigrationApplying, LsmEventId.MigrationApplying, LogLevel.Information,
                $"Applying migration '{migrationId}'.");
        }
    }

    /// <summary>Logs <see cref="LsmEventId.MigrationOperationProgress"/>.</summary>
    public static void MigrationOperationProgress(this IDiagnosticsLogger<DbLoggerCategory.Migrations> logger, string text)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        Message(logger, ref definitions.LogMigrationOperationProgress, LsmEventId.MigrationOperationProgress, LogLevel.Information, text);
    }

    /// <summary>Logs <see cref="LsmEventId.MigrationCommitted"/>.</summary>
    public static void MigrationCommitted(this IDiagnosticsLogger<DbLoggerCategory.Migrations> logger, string migrationId, bool down)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        Message(logger, ref definitions.LogMigrationCommitted, LsmEventId.MigrationCommitted, LogLevel.Information,
            $"Migration '{migrationId}' {(down ? "reverted" : "applied")}: the catalog switched in one batch.");
    }

    /// <summary>Logs <see cref="LsmEventId.MigrationInterrupted"/>.</summary>
    public static void MigrationInterrupted(this IDiagnosticsLogger<DbLoggerCategory.Migrations> logger, string text)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        Message(logger, ref definitions.LogMigrationInterrupted, LsmEventId.MigrationInterrupted, LogLevel.Warning, text);
    }

    /// <summary>Logs <see cref="LsmEventId.MigrationBatchWritten"/>: one batch of a migration step committed.</summary>
    public static void MigrationBatchWritten(
        this IDiagnosticsLogger<DbLoggerCategory.Migrations> logger, string step, int entries, long bytes)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        var definition = (EventDefinition<string, int, long>)(definitions.LogMigrationBatchWritten ??= new EventDefinition<string, int, long>(
            logger.Options,
            LsmEventId.MigrationBatchWritten,
            LogLevel.Debug,
            "LsmEventId.MigrationBatchWritten",
            level => LoggerMessage.Define<string, int, long>(
                level,
                LsmEventId.MigrationBatchWritten,
                "{step}: wrote a batch of {entries} entries ({bytes} bytes).")));

        if (logger.ShouldLog(definition))
        {
            definition.Log(logger, step, entries, bytes);
        }

        if (logger.NeedsEventData(definition, out var diagnosticSourceEnabled, out var simpleLogEnabled))
        {
            var eventData = new LsmMigrationBatchEventData(
                definition,
                static (d, p) =>
                {
                    var data = (LsmMigrationBatchEventData)p;
                    return ((EventDefinition<string, int, long>)d).GenerateMessage(data.Step, data.Entries, data.Bytes);
                },
                step,
                entries,
                bytes);
            logger.DispatchEventData(definition, eventData, diagnosticSourceEnabled, simpleLogEnabled);
        }
    }

    private static void Message<TCategory>(
        IDiagnosticsLogger<TCategory> logger, ref EventDefinitionBase? cached, EventId eventId, LogLevel level, string text)
        where TCategory : LoggerCategory<TCategory>, new()
    {
        var definition = (EventDefinition<string>)(cached ??= new EventDefinition<string>(
            logger.Options,
            eventId,
            level,
            "LsmEventId." + eventId.Name![(eventId.Name!.LastIndexOf('.') + 1)..],
            l => LoggerMessage.Define<string>(l, eventId, "{message}")));

        if (logger.ShouldLog(definition))
        {
            definition.Log(logger, text);
        }

        if (logger.NeedsEventData(definition, out var diagnosticSourceEnabled, out var simpleLogEnabled))
        {
            var eventData = new LsmMessageEventData(
                definition, static (d, p) => ((EventDefinition<string>)d).GenerateMessage(((LsmMessageEventData)p).Text), text);
            logger.DispatchEventData(definition, eventData, diagnosticSourceEnabled, simpleLogEnabled);
        }
    }

    /// <summary>
    /// Logs <see cref="LsmEventId.QueryPlanExecuting"/>: the plan a query is about to run, described by
    /// <paramref name="describe"/> (given whether values may be shown: EnableSensitiveDataLogging), which is not called at
    /// all when no logger, simple log or diagnostic listener wants the event.
    /// </summary>
    public static void QueryPlanExecuting<TState>(
        this IDiagnosticsLogger<DbLoggerCategory.Query> logger, TState state, Func<TState, bool, string> describe)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        var definition = (EventDefinition<string>)(definitions.LogQueryPlanExecuting ??= new EventDefinition<string>(
            logger.Options,
            LsmEventId.QueryPlanExecuting,
            LogLevel.Information,
            "LsmEventId.QueryPlanExecuting",
            level => LoggerMessage.Define<string>(level, LsmEventId.QueryPlanExecuting, "{plan}")));

        var log = logger.ShouldLog(definition);
        var dispatch = logger.NeedsEventData(definition, out var diagnosticSourceEnabled, out var simpleLogEnabled);
        if (!log && !dispatch)
        {
            return;
        }

        var plan = describe(state, logger.ShouldLogSensitiveData());
        if (log)
        {
            definition.Log(logger, plan);
        }

        // Simple logging (LogTo) and DiagnosticSource listeners get the event through EventData, as EF's own events do.
        if (dispatch)
        {
            var eventData = new LsmQueryPlanEventData(
                definition, static (d, p) => ((EventDefinition<string>)d).GenerateMessage(((LsmQueryPlanEventData)p).Plan), plan);
            logger.DispatchEventData(definition, eventData, diagnosticSourceEnabled, simpleLogEnabled);
        }
    }

    /// <summary>Logs <see cref="LsmEventId.TransactionEnlisted"/>: a context joined an ambient transaction.</summary>
    public static void TransactionEnlisted(
        this IDiagnosticsLogger<DbLoggerCategory.Database.Transaction> logger,
        Transaction transaction,
        string database)
    {
        var definitions = (LsmLoggingDefinitions)logger.Definitions;
        var definition = (EventDefinition<string, string>)(definitions.LogTransactionEnlisted ??= new EventDefinition<string, string>(
            logger.Options,
            LsmEventId.TransactionEnlisted,
            LogLevel.Debug,
            "LsmEventId.TransactionEnlisted",
            level => LoggerMessage.Define<string, string>(
                level,
                LsmEventId.TransactionEnlisted,
                "Enlisted in the ambient transaction {transactionId} for saves to {database}.")));

        var transactionId = transaction.TransactionInformation.LocalIdentifier;
        if (logger.ShouldLog(definition))
        {
            definition.Log(logger, transactionId, database);
        }

        if (logger.NeedsEventData(definition, out var diagnosticSourceEnabled, out var simpleLogEnabled))
        {
            var eventData = new LsmTransactionEnlistedEventData(
                definition,
                static (d, p) =>
                {
                    var data = (LsmTransactionEnlistedEventData)p;
                    return ((EventDefinition<string, string>)d).GenerateMessage(data.TransactionId, data.Database);
                },
                transaction,
                database);
            logger.DispatchEventData(definition, eventData, diagnosticSourceEnabled, simpleLogEnabled);
        }
    }
}

/// <summary>The payload of the provider's events whose whole content is one message (schema drift, migrations).</summary>
public sealed class LsmMessageEventData(
    EventDefinitionBase eventDefinition,
    Func<EventDefinitionBase, EventData, string> messageGenerator,
    string text)
    : EventData(eventDefinition, messageGenerator)
{
    public string Text { get; } = text;
}

/// <summary>The payload of <see cref="LsmEventId.QueryPlanExecuting"/>: the plan text, e.g. "range scan Order [(2, 10), (2, 20))".</summary>
public sealed class LsmQueryPlanEventData(
    EventDefinitionBase eventDefinition,
    Func<EventDefinitionBase, EventData, string> messageGenerator,
    string plan)
    : EventData(eventDefinition, messageGenerator)
{
    public string Plan { get; } = plan;
}
