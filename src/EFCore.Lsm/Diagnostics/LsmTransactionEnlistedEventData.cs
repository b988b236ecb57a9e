using System.Transactions;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace EFCore.Lsm.Diagnostics;

/// <summary>The payload of <see cref="LsmEventId.TransactionEnlisted"/>: the transaction a context joined, and where it saves.</summary>
public sealed class LsmTransactionEnlistedEventData : EventData
{
    /// <summary>Creates the payload; the provider does, when a context joins an ambient transaction.</summary>
    /// <param name="eventDefinition">The event's definition.</param>
    /// <param name="messageGenerator">Builds the log message from the definition and this payload.</param>
    /// <param name="transaction">The transaction the context joined.</param>
    /// <param name="database">What the context saves to, e.g. "EFCore.Lsm database '/data/app'".</param>
    public LsmTransactionEnlistedEventData(
        EventDefinitionBase eventDefinition,
        Func<EventDefinitionBase, EventData, string> messageGenerator,
        Transaction transaction,
        string database)
        : base(eventDefinition, messageGenerator)
    {
        Transaction = transaction;
        TransactionId = transaction.TransactionInformation.LocalIdentifier;
        Database = database;
    }

    /// <summary>The System.Transactions transaction the context joined.</summary>
    public Transaction Transaction { get; }

    /// <summary>
    /// The transaction's local identifier, read when the event was raised: the message is often formatted after the scope
    /// disposed the transaction, which then no longer answers.
    /// </summary>
    public string TransactionId { get; }

    /// <summary>What the context saves to, e.g. "EFCore.Lsm database '/data/app'".</summary>
    public string Database { get; }
}
