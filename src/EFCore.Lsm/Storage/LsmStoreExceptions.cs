namespace EFCore.Lsm.Storage;

/// <summary>
/// A condition of an <see cref="LsmConditionalBatch"/> did not hold when the batch was to commit, so nothing of it was
/// written. The provider turns this into EF's <c>DbUpdateConcurrencyException</c> or <c>DbUpdateException</c>, naming the
/// entries the condition protected.
/// </summary>
public sealed class LsmWriteConflictException : Exception
{
    /// <summary>Creates the exception for the failed condition at <paramref name="conditionIndex"/>.</summary>
    /// <param name="conditionIndex">The position of the failed condition in <see cref="LsmConditionalBatch.Conditions"/>.</param>
    /// <param name="kind">What the condition required.</param>
    /// <param name="message">Names the condition and its key.</param>
    /// <param name="innerException">The backend's own exception, if any.</param>
    public LsmWriteConflictException(int conditionIndex, LsmConditionKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ConditionIndex = conditionIndex;
        Kind = kind;
    }

    /// <summary>The position of the failed condition in <see cref="LsmConditionalBatch.Conditions"/>.</summary>
    public int ConditionIndex { get; }

    /// <summary>What the failed condition required.</summary>
    public LsmConditionKind Kind { get; }
}

/// <summary>
/// A batch exceeds what one commit of the store may hold (<see cref="ILsmKeyValueStore.Limits"/>); nothing was written.
/// The message names the limit and the batch's size.
/// </summary>
public sealed class LsmBatchTooLargeException(string message) : Exception(message);

/// <summary>
/// The store cannot be reached or cannot serve the request now (a cluster without quorum, a closed connection). Whether
/// a commit that fails with it was applied is unknown unless the message says otherwise; retrying is the caller's choice.
/// </summary>
public sealed class LsmStoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// A read through an <see cref="ILsmReadView"/> asked for a version the store no longer keeps: a cluster's history was
/// compacted past it while the view was open (the embedded engine never raises this: its snapshots hold their versions).
/// Nothing wrong was returned; open a new view (re-run the query) to read the current data.
/// </summary>
public sealed class LsmViewExpiredException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// Data the provider reads back from the store (a catalog record, a row, an index entry, a key) does not have the form
/// the provider writes: damage, or a database written by a newer version of the provider. The message names what was
/// read and what was wrong; the provider never returns wrong data instead.
/// </summary>
public class LsmStoredDataException(string message, Exception? innerException = null) : Exception(message, innerException);
