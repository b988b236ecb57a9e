using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// A context's use of the shared store (scoped: one per <c>DbContext</c>). Takes a lease from the store pool on first use
/// and releases it when the context is disposed or, for a pooled context, returned to the pool (<see cref="ResetState"/>),
/// as relational providers close their connection then. Releasing a lease does not close the store: the pool keeps it
/// open for the next context (see <see cref="LsmStorePoolEntries"/>).
/// </summary>
internal sealed class LsmStoreConnection : IDisposable, IResettableService
{
    private readonly LsmOptionsExtension _options;
    private readonly LsmStoreTracker _tracker;
    private LsmStorePoolEntries.Lease? _lease;
    private bool _disposed;

    public LsmStoreConnection(IDbContextOptions options, LsmStoreTracker tracker)
    {
        _options = options.FindExtension<LsmOptionsExtension>()
            ?? throw new InvalidOperationException("The context is not configured with UseLsm.");
        _tracker = tracker;
    }

    public LsmOptionsExtension Options => _options;

    /// <summary>Whether saves wait for the store to make them durable.</summary>
    public bool SyncWrites => _options.SyncWrites;

    /// <summary>Whether saves check foreign keys and apply delete behaviours to untracked dependents.</summary>
    public bool EnforceForeignKeys => _options.EnforceForeignKeys;

    /// <summary>The shared store, opened on first use.</summary>
    public LsmStore Store
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_lease is null)
            {
                var factory = _options.StoreFactory;
                _lease = LsmStorePoolEntries.Shared.Acquire(factory);
                _tracker.Track(factory.StoreKey);
            }

            return _lease.Store;
        }
    }

    /// <summary>Returned to the pool: release the lease; the next use takes a new one.</summary>
    public void ResetState()
    {
        _lease?.Dispose();
        _lease = null;
    }

    public Task ResetStateAsync(CancellationToken cancellationToken = default)
    {
        ResetState();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _disposed = true;
        _lease?.Dispose();
        _lease = null;
    }
}

/// <summary>
/// The stores an EF service provider has opened (a singleton of it): when that service provider is disposed, its idle
/// stores close (the others as their last context goes). EF's own cached service providers live as long as the process.
/// </summary>
internal sealed class LsmStoreTracker : IDisposable
{
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public void Track(string storeKey)
    {
        lock (_lock)
        {
            _keys.Add(storeKey);
        }
    }

    public void Dispose()
    {
        string[] keys;
        lock (_lock)
        {
            keys = [.. _keys];
            _keys.Clear();
        }

        foreach (var key in keys)
        {
            LsmStorePoolEntries.Shared.Close(key);
        }
    }
}
