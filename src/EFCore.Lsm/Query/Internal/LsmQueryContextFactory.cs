using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// Creates the query context EF's query compiler asks for before it compiles anything. Queries themselves are refused by
/// <c>LsmDatabaseWrapper.CompileQuery</c> with a clear <see cref="NotSupportedException"/> until the query pipeline lands.
/// </summary>
internal sealed class LsmQueryContextFactory(QueryContextDependencies dependencies) : IQueryContextFactory
{
    public QueryContext Create() => new LsmQueryContext(dependencies);
}

/// <summary>The provider's query context; the query pipeline will hang its per-execution state (the snapshot) here.</summary>
internal sealed class LsmQueryContext(QueryContextDependencies dependencies) : QueryContext(dependencies);
