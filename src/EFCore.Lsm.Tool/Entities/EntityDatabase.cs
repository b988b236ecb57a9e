using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Entities;

/// <summary>
/// An EF database opened for the entity commands: the engine (as every opening command opens it, <see cref="DatabaseFolder"/>)
/// behind the provider's storage seam, one consistent view, and the catalog read at that view, so a command's catalog and
/// rows agree even while its output is being written.
/// </summary>
internal sealed class EntityDatabase : IDisposable
{
    private readonly ILsmKeyValueStore _store;

    private EntityDatabase(ILsmKeyValueStore store, ILsmReadView view, StoredSchema schema, string path)
    {
        _store = store;
        View = view;
        Schema = schema;
        Path = path;
    }

    public string Path { get; }

    public ILsmReadView View { get; }

    public StoredSchema Schema { get; }

    public static EntityDatabase Open(string database)
    {
        var path = DatabaseFolder.Require(database);
        var store = new EngineKeyValueStore(DatabaseFolder.OpenReadOnly(path));
        ILsmReadView? view = null;
        try
        {
            view = store.OpenView();
            return new EntityDatabase(store, view, StoredSchema.Load(view, database), path);
        }
        catch
        {
            view?.Dispose();
            store.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        View.Dispose();
        _store.Dispose();
    }
}
