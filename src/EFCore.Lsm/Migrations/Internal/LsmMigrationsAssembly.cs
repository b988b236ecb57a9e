using System.Reflection;
using EFCore.Lsm.Infrastructure.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// Finds a context's migrations as EF does: the non-abstract <see cref="Migration"/> classes with <c>[DbContext]</c> of the
/// context's type and a <c>[Migration]</c> id, ordered by id, and its <see cref="ModelSnapshot"/>, in the context's assembly
/// or the one <c>UseLsm(..., o =&gt; o.MigrationsAssembly(...))</c> names.
/// </summary>
internal sealed class LsmMigrationsAssembly : IMigrationsAssembly
{
    private readonly Type _contextType;
    private readonly IMigrationsIdGenerator _idGenerator;
    private IReadOnlyDictionary<string, TypeInfo>? _migrations;
    private ModelSnapshot? _snapshot;
    private bool _snapshotFound;

    public LsmMigrationsAssembly(ICurrentDbContext currentContext, IDbContextOptions options, IMigrationsIdGenerator idGenerator)
    {
        _contextType = currentContext.Context.GetType();
        _idGenerator = idGenerator;
        var name = options.FindExtension<LsmOptionsExtension>()?.MigrationsAssembly;
        Assembly = name is null ? _contextType.Assembly : Assembly.Load(new AssemblyName(name));
    }

    public Assembly Assembly { get; }

    public IReadOnlyDictionary<string, TypeInfo> Migrations => _migrations ??= Find();

    public ModelSnapshot? ModelSnapshot
    {
        get
        {
            if (!_snapshotFound)
            {
                _snapshotFound = true;
                var type = Types().FirstOrDefault(t => t.IsSubclassOf(typeof(ModelSnapshot)) && ContextOf(t) == _contextType);
                _snapshot = type is null ? null : (ModelSnapshot)Activator.CreateInstance(type)!;
            }

            return _snapshot;
        }
    }

    public string? FindMigrationId(string nameOrId) =>
        Migrations.Keys.FirstOrDefault(id => _idGenerator.IsValidId(nameOrId)
            ? string.Equals(id, nameOrId, StringComparison.OrdinalIgnoreCase)
            : string.Equals(_idGenerator.GetName(id), nameOrId, StringComparison.OrdinalIgnoreCase));

    public Migration CreateMigration(TypeInfo migrationClass, string activeProvider)
    {
        var migration = (Migration)Activator.CreateInstance(migrationClass.AsType())!;
        migration.ActiveProvider = activeProvider;
        return migration;
    }

    private SortedList<string, TypeInfo> Find()
    {
        var result = new SortedList<string, TypeInfo>(StringComparer.Ordinal);
        foreach (var type in Types().Where(t => t.IsSubclassOf(typeof(Migration)) && ContextOf(t) == _contextType))
        {
            if (type.GetCustomAttribute<MigrationAttribute>()?.Id is { } id)
            {
                result.Add(id, type);
            }
        }

        return result;
    }

    private IEnumerable<TypeInfo> Types()
    {
        IEnumerable<TypeInfo> types;
        try
        {
            types = Assembly.DefinedTypes;
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.Where(t => t is not null).Select(t => t!.GetTypeInfo());
        }

        return types.Where(t => t is { IsAbstract: false, IsGenericTypeDefinition: false } && t.GetConstructor(Type.EmptyTypes) is not null);
    }

    // The first [DbContext] up the inheritance chain, as EF reads it.
    private static Type? ContextOf(Type type)
    {
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            if (current.GetCustomAttribute<DbContextAttribute>(inherit: false) is { } attribute)
            {
                return attribute.ContextType;
            }
        }

        return null;
    }
}
