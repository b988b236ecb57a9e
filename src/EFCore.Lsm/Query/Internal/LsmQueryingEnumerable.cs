using System.Collections;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// The result of one execution of a compiled query, enumerable once or more, sync or async. An enumeration takes one view
/// for all its reads (every scan, lookup and subquery of the execution sees the same snapshot), runs the server query and
/// shapes each row. Each step runs inside EF's concurrency detector, so a second operation started on the context while
/// one is under way is reported as EF reports it.
/// </summary>
internal sealed class LsmQueryingEnumerable<T>(
    QueryContext queryContext,
    IEnumerable<ValueBuffer> rows,
    Func<QueryContext, ValueBuffer, T> shaper,
    Type contextType,
    bool standAloneStateManager,
    bool threadSafetyChecksEnabled) : IEnumerable<T>, IAsyncEnumerable<T>, IQueryingEnumerable
{
    public IEnumerator<T> GetEnumerator() => new Enumerator(this, default);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(this, cancellationToken);

    public string ToQueryString() =>
        "EFCore.Lsm runs LINQ over key-value rows and has no query string; the plan of each access is logged as "
        + "LsmEventId.QueryPlanExecuting.";

    private sealed class Enumerator(LsmQueryingEnumerable<T> owner, CancellationToken cancellationToken)
        : IEnumerator<T>, IAsyncEnumerator<T>
    {
        private readonly LsmQueryContext _queryContext = (LsmQueryContext)owner._queryContext;
        private readonly IConcurrencyDetector? _concurrencyDetector =
            owner._threadSafetyChecksEnabled ? owner._queryContext.ConcurrencyDetector : null;

        private IEnumerator<ValueBuffer>? _rows;
        private bool _holdsView;

        public T Current { get; private set; } = default!;

        object? IEnumerator.Current => Current;

        public bool MoveNext()
        {
            try
            {
                using var _ = _concurrencyDetector?.EnterCriticalSection();
                return MoveNextCore();
            }
            catch (Exception exception)
            {
                LogFailure(exception);
                throw;
            }
        }

        public ValueTask<bool> MoveNextAsync()
        {
            try
            {
                // The engine reads synchronously (cached blocks or positional reads), so the async form runs the same step.
                using var _ = _concurrencyDetector?.EnterCriticalSection();
                cancellationToken.ThrowIfCancellationRequested();
                return ValueTask.FromResult(MoveNextCore());
            }
            catch (Exception exception)
            {
                LogFailure(exception);
                throw;
            }
        }

        private bool MoveNextCore()
        {
            if (_rows is null)
            {
#pragma warning disable EF9101 // EF's query counter, as its own providers report it.
                EntityFrameworkMetricsData.ReportQueryExecuting();
#pragma warning restore EF9101
                _queryContext.InitializeStateManager(owner._standAloneStateManager);
                _queryContext.AcquireView();
                _holdsView = true;
                _rows = owner._rows.GetEnumerator();
            }

            if (_rows.MoveNext())
            {
                Current = owner._shaper(_queryContext, _rows.Current);
                return true;
            }

            Current = default!;
            return false;
        }

        private void LogFailure(Exception exception)
        {
            if (_queryContext.ExceptionDetector.IsCancellation(exception, cancellationToken))
            {
                _queryContext.QueryLogger.QueryCanceled(owner._contextType);
            }
            else
            {
                _queryContext.QueryLogger.QueryIterationFailed(owner._contextType, exception);
            }
        }

        public void Reset() => throw new NotSupportedException();

        public void Dispose()
        {
            _rows?.Dispose();
            _rows = null;
            if (_holdsView)
            {
                _holdsView = false;
                _queryContext.ReleaseView();
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }

    private readonly QueryContext _queryContext = queryContext;
    private readonly IEnumerable<ValueBuffer> _rows = rows;
    private readonly Func<QueryContext, ValueBuffer, T> _shaper = shaper;
    private readonly Type _contextType = contextType;
    private readonly bool _standAloneStateManager = standAloneStateManager;
    private readonly bool _threadSafetyChecksEnabled = threadSafetyChecksEnabled;
}
