using EFCore.Lsm.Infrastructure.Internal;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Storage;

/// <summary>
/// Checks that a database's derived data agrees with its rows, for operators (the <c>lsm</c> tool) and tests: every index
/// entry points to a live row with those values, every row has its entries, and — given the application's model — every
/// non-null foreign key names an existing principal. Reads at one view; writes nothing.
/// </summary>
public static class LsmDatabaseVerifier
{
    /// <summary>
    /// Checks every index the catalog of the EFCore.Lsm database in <paramref name="path"/> lists, without the application's
    /// model (foreign keys are not in the catalog, so they are not checked). Opens the database, taking its lock, so no
    /// other process may have it open, and closes it again.
    /// </summary>
    public static LsmVerificationResult VerifyIndexes(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var store = new EngineKeyValueStoreFactory(
            path, LsmOptionsExtension.DefaultWriteBufferSize, LsmOptionsExtension.DefaultBlockCacheSize).Open();
        return VerifyIndexes(store);
    }

    /// <summary>Checks every index the catalog of <paramref name="store"/> lists, without the application's model.</summary>
    internal static LsmVerificationResult VerifyIndexes(ILsmKeyValueStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var view = store.OpenView();
        return LsmCatalogIndexVerifier.Verify(view);
    }

    /// <summary>
    /// Checks the indexes and foreign keys of every entity type of <paramref name="context"/>'s model, at one view of its
    /// database (inside a transaction, the transaction's). Rows and entries are not counted (<see
    /// cref="LsmVerificationResult.Rows"/> and <see cref="LsmVerificationResult.Entries"/> are -1).
    /// </summary>
    public static LsmVerificationResult Verify(DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var database = context.GetService<IDatabase>() as LsmDatabaseWrapper
            ?? throw new InvalidOperationException("The context does not use EFCore.Lsm (UseLsm).");
        var mappings = database.Store.GetMappings(context.Model, sync: false, register: false);
        using var view = database.OpenView();
        var problems = LsmIntegrityVerifier.Verify(view, mappings);
        return new LsmVerificationResult(problems, rows: -1, entries: -1, skipped: []);
    }
}

/// <summary>What a verification by <see cref="LsmDatabaseVerifier"/> found.</summary>
public sealed class LsmVerificationResult
{
    internal LsmVerificationResult(IReadOnlyList<string> problems, long rows, long entries, IReadOnlyList<string> skipped)
    {
        Problems = problems;
        Rows = rows;
        Entries = entries;
        Skipped = skipped;
    }

    /// <summary>One line per disagreement, naming the index or foreign key and the key; empty when consistent.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Rows read (counted once per index checked); -1 when not counted.</summary>
    public long Rows { get; }

    /// <summary>Index entries read; -1 when not counted.</summary>
    public long Entries { get; }

    /// <summary>Indexes not checked, and why (one still being built).</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>True when no problem was found.</summary>
    public bool IsConsistent => Problems.Count == 0;
}
