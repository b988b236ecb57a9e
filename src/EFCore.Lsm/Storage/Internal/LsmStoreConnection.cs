using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// A context's use of the shared store (scoped: one per <c>DbContext</c>). Takes a lease from
/// <see cref="LsmEngineRegistry"/> on first use and releases it when the context is disposed (its service scope goes)
/// or, for a pooled context, when it is returned to the pool (<see cref="ResetState"/>), as relational providers close
/// their connection then. A pooled context idle in the pool holds no lease: EF does not dispose the service scope of
/// pooled contexts when their pool is disposed (seen with EF 10), so a lease kept across returns would never be released.
/// </summary>
internal sealed class LsmStoreConnection : IDisposable, IResettableService
{
    private readonly LsmOptionsExtension _options;
    private LsmEngineRegistry.Lease? _lease;
    private bool _disposed;

    public LsmStoreConnection(IDbContextOptions options)
    {
        _options = options.FindExtension<LsmOptionsExtension>()
            ?? throw new InvalidOperationException("The context is not configured with UseLsm.");
    }

    public LsmOptionsExtension Options => _options;

    /// <summary>Whether saves wait for the WAL to reach stable storage.</summary>
    public bool SyncWrites => _options.SyncWrites;

    /// <summary>The shared store, opened on first use.</summary>
    public LsmStore Store
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return (_lease ??= LsmEngineRegistry.Shared.Acquire(_options)).Store;
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
