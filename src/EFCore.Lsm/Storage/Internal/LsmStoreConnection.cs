using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// A context's use of the shared store (scoped: one per <c>DbContext</c>). Takes a lease from
/// <see cref="LsmEngineRegistry"/> on first use and releases it when the context's service scope is disposed, which is
/// when the context is disposed, or for a pooled context when its pool is disposed. See the registry for why.
/// </summary>
internal sealed class LsmStoreConnection : IDisposable
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

    public void Dispose()
    {
        _disposed = true;
        _lease?.Dispose();
        _lease = null;
    }
}
