using EFCore.Lsm.Metadata;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

// User-facing extension methods live where users look for them, as EF's own providers do.
namespace Microsoft.EntityFrameworkCore;

/// <summary>EFCore.Lsm extension methods for <see cref="DatabaseFacade"/>.</summary>
public static class LsmDatabaseFacadeExtensions
{
    /// <summary>
    /// The differences between the schema stored in the EFCore.Lsm database and the context's model that the provider
    /// tolerates without losing data (docs/migrations.md, "Schema drift"): entity types and properties with stored data that
    /// the model lacks, and properties whose stored type converts losslessly to the model's. Empty when they match. Throws
    /// what opening the model would throw for a difference that needs a migration first (a rename, a lossy type change, a
    /// changed key). Writes nothing.
    /// </summary>
    public static IReadOnlyList<LsmSchemaDifference> GetLsmSchemaDifferences(this DatabaseFacade databaseFacade)
    {
        ArgumentNullException.ThrowIfNull(databaseFacade);
        var context = ((IDatabaseFacadeDependenciesAccessor)databaseFacade).Context;
        var database = context.GetService<IDatabase>() as LsmDatabaseWrapper ?? throw new InvalidOperationException(
            "GetLsmSchemaDifferences can only be used when the context is configured with UseLsm.");
        return database.Store.CompareWithModel(context.Model);
    }
}
