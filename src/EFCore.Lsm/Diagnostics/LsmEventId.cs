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
    }

    private static readonly string QueryPrefix = DbLoggerCategory.Query.Name + ".";
    private static readonly string TransactionPrefix = DbLoggerCategory.Database.Transaction.Name + ".";

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
}
