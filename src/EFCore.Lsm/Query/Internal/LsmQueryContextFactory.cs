using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>Creates the query context of each query execution, bound to the context's database (its store and transaction).</summary>
internal sealed class LsmQueryContextFactory(QueryContextDependencies dependencies, IDatabase database) : IQueryContextFactory
{
    public QueryContext Create() => new LsmQueryContext(dependencies, (LsmDatabaseWrapper)database);
}

/// <summary>The provider's query context: the read seam (snapshot, transaction, mappings) queries run against.</summary>
internal sealed class LsmQueryContext(QueryContextDependencies dependencies, LsmDatabaseWrapper database) : QueryContext(dependencies)
{
    public LsmDatabaseWrapper Database { get; } = database;
}
