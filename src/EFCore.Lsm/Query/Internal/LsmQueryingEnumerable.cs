using System.Collections;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// The result of one execution of a compiled query, enumerable once or more, sync or async. Each enumeration runs the
/// server query (which opens its own snapshot) and shapes each element; nothing is read before the first element is asked for.
/// </summary>
internal sealed class LsmQueryingEnumerable<TElement, TResult>(
    QueryContext queryContext,
    Func<QueryContext, IEnumerable<TElement>> serverQuery,
    Func<QueryContext, TElement, TResult> shaper,
    Type contextType,
    bool standAloneStateManager) : IEnumerable<TResult>, IAsyncEnumerable<TResult>
{
    private readonly QueryContext _queryContext = queryContext;
    private readonly Func<QueryContext, IEnumerable<TElement>> _serverQuery = serverQuery;
    private readonly Func<QueryContext, TElement, TResult> _shaper = shaper;
    private readonly Type _contextType = contextType;
    private readonly bool _standAloneStateManager = standAloneStateManager;

    public IEnumerator<TResult> GetEnumerator() => new Enumerator(this, default);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public IAsyncEnumerator<TResult> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        _queryContext.CancellationToken = cancellationToken;
        return new Enumerator(this, cancellationToken);
    }

    private sealed class Enumerator(LsmQueryingEnumerable<TElement, TResult> owner, CancellationToken cancellationToken)
        : IEnumerator<TResult>, IAsyncEnumerator<TResult>
    {
        private IEnumerator<TElement>? _elements;
        private bool _holdsView;

        public TResult Current { get; private set; } = default!;

        object? IEnumerator.Current => Current;

        public bool MoveNext()
        {
            try
            {
                if (_elements is null)
                {
                    owner._queryContext.InitializeStateManager(owner._standAloneStateManager);

                    // One view for the whole execution: every scan and lookup of the query (and of its subqueries) reads it.
                    ((LsmQueryContext)owner._queryContext).AcquireView();
                    _holdsView = true;
                    _elements = owner._serverQuery(owner._queryContext).GetEnumerator();
                }

                if (_elements.MoveNext())
                {
                    Current = owner._shaper(owner._queryContext, _elements.Current);
                    return true;
                }

                Current = default!;
                return false;
            }
            catch (Exception exception)
            {
                owner._queryContext.QueryLogger.QueryIterationFailed(owner._contextType, exception);
                throw;
            }
        }

        public ValueTask<bool> MoveNextAsync()
        {
            // The engine reads synchronously (blocks are cached or read with positional I/O), so the async form runs the
            // same step; it checks for cancellation before each one.
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(MoveNext());
        }

        public void Reset() => throw new NotSupportedException();

        public void Dispose()
        {
            _elements?.Dispose();
            _elements = null;
            if (_holdsView)
            {
                _holdsView = false;
                ((LsmQueryContext)owner._queryContext).ReleaseView();
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
