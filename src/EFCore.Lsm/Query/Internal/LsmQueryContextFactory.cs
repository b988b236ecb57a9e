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
    private Dictionary<LsmSource, long?[]>? _rangeEstimates;

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

    /// <summary>Logs the plan of an access about to run with the range estimates it was chosen by, when there were any.</summary>
    public void LogPlan(LsmAccessPlan plan, object?[] values, LsmSource source, long?[]? estimates)
    {
        if (estimates is null)
        {
            LogPlan(plan, values);
            return;
        }

        QueryLogger.QueryPlanExecuting(
            (plan, values, source, estimates),
            static (s, sensitive) => s.plan.Describe(s.values, sensitive) + LsmAccessChooser.Describe(s.source.Candidates, s.estimates));
    }

    /// <summary>
    /// The range estimates of <paramref name="source"/>'s candidates, asked of the store by the execution's first run of the
    /// source and reused by the others (a correlated source runs once per outer row): one estimate per candidate per execution.
    /// </summary>
    public long?[] RangeEstimates<TState>(LsmSource source, TState state, Func<TState, long?[]> estimate)
    {
        _rangeEstimates ??= new Dictionary<LsmSource, long?[]>(ReferenceEqualityComparer.Instance);
        if (!_rangeEstimates.TryGetValue(source, out var estimates))
        {
            estimates = estimate(state);
            _rangeEstimates[source] = estimates;
        }

        return estimates;
    }

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
