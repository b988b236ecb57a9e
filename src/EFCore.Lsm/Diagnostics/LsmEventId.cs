using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EFCore.Lsm.Diagnostics;

/// <summary>
/// Event ids of the log events the EFCore.Lsm provider writes (in EF's range for providers), for filtering and
/// configuring them with <c>ConfigureWarnings</c>.
/// </summary>
public static class LsmEventId
{
    // Ids and names of events are public API: append, never renumber.
    private enum Id
    {
        // Query events
        QueryPlanExecuting = CoreEventId.ProviderBaseId,

        // Transaction events
        TransactionEnlisted = CoreEventId.ProviderBaseId + 100,

        // Model (schema drift) events
        EntityTypeNotInModel = CoreEventId.ProviderBaseId + 200,
        PropertyNotInModel,
        PropertyTypeConverted,

        // Migrations events
        MigrationApplying = CoreEventId.ProviderBaseId + 300,
        MigrationReverting,
        MigrationOperationProgress,
        MigrationCommitted,
        MigrationInterrupted,
        MigrationBatchWritten,
    }

    private static readonly string QueryPrefix = DbLoggerCategory.Query.Name + ".";
    private static readonly string TransactionPrefix = DbLoggerCategory.Database.Transaction.Name + ".";
    private static readonly string ModelPrefix = DbLoggerCategory.Model.Name + ".";
    private static readonly string MigrationsPrefix = DbLoggerCategory.Migrations.Name + ".";

    /// <summary>
    /// A query is about to read rows through one access path (one event per access: a query with a join or a subquery logs
    /// one for each source, a correlated one per outer row). The message is the plan, e.g. <c>point get Order (42)</c>,
    /// <c>range scan Order [(42), (43))</c>, <c>index range Order.IX_Order_CustomerId [(7), (7)]</c>,
    /// <c>lookup join Customer (CustomerId)</c>, <c>multi get Order [(1), (2)]</c> or <c>full scan Customer reverse limit 5</c>.
    /// Key and parameter values appear only with <c>EnableSensitiveDataLogging</c> (as <c>?</c> otherwise), in the invariant
    /// culture. Category <see cref="DbLoggerCategory.Query"/>, level Information.
    /// </summary>
    public static readonly EventId QueryPlanExecuting = new((int)Id.QueryPlanExecuting, QueryPrefix + Id.QueryPlanExecuting);

    /// <summary>
    /// A context joined an ambient <c>System.Transactions</c> transaction (a <c>TransactionScope</c>, or one named by
    /// <c>Database.EnlistTransaction</c>) at its first save in it; its saves are staged until the scope completes.
    /// Category <see cref="DbLoggerCategory.Database.Transaction"/>, level Debug; payload <see cref="LsmTransactionEnlistedEventData"/>.
    /// </summary>
    public static readonly EventId TransactionEnlisted = new((int)Id.TransactionEnlisted, TransactionPrefix + Id.TransactionEnlisted);

    /// <summary>
    /// An entity type has rows in the database but is not in the model. The rows are kept (and come back if the model has the
    /// type again); a migration's <c>DropTable</c> removes them. Category <see cref="DbLoggerCategory.Model"/>, level Warning.
    /// </summary>
    public static readonly EventId EntityTypeNotInModel = new((int)Id.EntityTypeNotInModel, ModelPrefix + Id.EntityTypeNotInModel);

    /// <summary>
    /// A property has stored values but is not in the model. The values are kept, saves carry them over, and they come back if
    /// the model has the property again; a migration's <c>DropColumn</c> removes them. Category <see cref="DbLoggerCategory.Model"/>,
    /// level Warning.
    /// </summary>
    public static readonly EventId PropertyNotInModel = new((int)Id.PropertyNotInModel, ModelPrefix + Id.PropertyNotInModel);

    /// <summary>
    /// A property's stored type differs from the model's and every stored value converts without loss: values are converted
    /// when read, and a saved value must fit the stored type until a migration's <c>AlterColumn</c> converts the rows.
    /// Category <see cref="DbLoggerCategory.Model"/>, level Warning.
    /// </summary>
    public static readonly EventId PropertyTypeConverted = new((int)Id.PropertyTypeConverted, ModelPrefix + Id.PropertyTypeConverted);

    /// <summary>A migration's <c>Up</c> is about to run. Category <see cref="DbLoggerCategory.Migrations"/>, level Information.</summary>
    public static readonly EventId MigrationApplying = new((int)Id.MigrationApplying, MigrationsPrefix + Id.MigrationApplying);

    /// <summary>A migration's <c>Down</c> is about to run. Category <see cref="DbLoggerCategory.Migrations"/>, level Information.</summary>
    public static readonly EventId MigrationReverting = new((int)Id.MigrationReverting, MigrationsPrefix + Id.MigrationReverting);

    /// <summary>
    /// Progress of one operation of a migration: its number and count, what it does, and the rows it has processed so far
    /// (e.g. <c>20250101000000_Rekey: 2/3 AddPrimaryKey on Orders: 300000 rows</c>). Logged per chunk of rows, so a long
    /// re-key reports as it goes. Category <see cref="DbLoggerCategory.Migrations"/>, level Information.
    /// </summary>
    public static readonly EventId MigrationOperationProgress =
        new((int)Id.MigrationOperationProgress, MigrationsPrefix + Id.MigrationOperationProgress);

    /// <summary>
    /// A migration's catalog switch committed: its new keyspaces and history row became visible in one atomic batch.
    /// Category <see cref="DbLoggerCategory.Migrations"/>, level Information.
    /// </summary>
    public static readonly EventId MigrationCommitted = new((int)Id.MigrationCommitted, MigrationsPrefix + Id.MigrationCommitted);

    /// <summary>
    /// A migration interrupted by a crash was found: the keyspaces it had built are removed (the database is as it was before
    /// that migration) and it runs again. Category <see cref="DbLoggerCategory.Migrations"/>, level Warning.
    /// </summary>
    public static readonly EventId MigrationInterrupted = new((int)Id.MigrationInterrupted, MigrationsPrefix + Id.MigrationInterrupted);

    /// <summary>
    /// A migration wrote one batch of re-keyed or converted rows or of index entries into a keyspace nothing reads until the
    /// catalog switch. Its size is bounded by <c>MigrationBatchBytes</c> and <c>MigrationBatchRows</c>, so this event shows
    /// what a migration holds in memory at once. Category <see cref="DbLoggerCategory.Migrations"/>, level Debug; payload
    /// <see cref="LsmMigrationBatchEventData"/>.
    /// </summary>
    public static readonly EventId MigrationBatchWritten = new((int)Id.MigrationBatchWritten, MigrationsPrefix + Id.MigrationBatchWritten);
}
