using EFCore.Lsm.Diagnostics.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>Creates the query context of each query execution, bound to the context's database (its store and transaction).</summary>
internal sealed class LsmQueryContextFactory(QueryContextDependencies dependencies, IDatabase database) : IQueryContextFactory
{
    public QueryContext Create() => new LsmQueryContext(dependencies, (LsmDatabaseWrapper)database);
}

/// <summary>
/// The provider's query context, one per query execution: the database it reads (store, transaction, mappings) and the
/// one view every access of the execution reads at, so a query never sees half of a concurrent save, however many
/// scans and lookups it makes.
/// </summary>
internal sealed class LsmQueryContext(QueryContextDependencies dependencies, LsmDatabaseWrapper database) : QueryContext(dependencies)
{
    private ILsmReadView? _view;
    private int _viewUsers;

    public LsmDatabaseWrapper Database { get; } = database;

    /// <summary>
    /// The execution's view, opened by its first user; every <see cref="AcquireView"/> is paired with a
    /// <see cref="ReleaseView"/>, and the last release closes it.
    /// </summary>
    public ILsmReadView AcquireView()
    {
        if (_viewUsers++ == 0)
        {
            try
            {
                _view = Database.OpenView();
            }
            catch
            {
                _viewUsers = 0;
                throw;
            }
        }

        return _view!;
    }

    /// <summary>Logs the plan of an access about to run (the text is built only when some logger wants it).</summary>
    public void LogPlan(LsmAccessPlan plan, object?[] values) =>
        QueryLogger.QueryPlanExecuting((plan, values), static (s, sensitive) => s.plan.Describe(s.values, sensitive));

    public void ReleaseView()
    {
        if (_viewUsers > 0 && --_viewUsers == 0)
        {
            var view = _view;
            _view = null;
            view?.Dispose();
        }
    }
}
