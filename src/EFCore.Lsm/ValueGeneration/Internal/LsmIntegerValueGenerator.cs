using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.ValueGeneration;

namespace EFCore.Lsm.ValueGeneration.Internal;

/// <summary>
/// Permanent integer key values from the store's generator for the entity's keyspace (<see cref="LsmKeyGenerators"/>):
/// blocks are reserved in the catalog before use, so no value is handed out twice, even across a crash; gaps are allowed.
/// EF caches generators per property for the life of its service provider, so the state lives in the store, which is
/// looked up per call through the entry's context.
/// </summary>
internal abstract class LsmIntegerValueGenerator : ValueGenerator
{
    public override bool GeneratesTemporaryValues => false;

    public static bool IsSupported(Type type) =>
        Type.GetTypeCode(type) is TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32
            or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64;

    public static ValueGenerator Create(Type type, IProperty property) => Type.GetTypeCode(type) switch
    {
        TypeCode.SByte => new Typed<sbyte>(property, v => checked((sbyte)v)),
        TypeCode.Byte => new Typed<byte>(property, v => checked((byte)v)),
        TypeCode.Int16 => new Typed<short>(property, v => checked((short)v)),
        TypeCode.UInt16 => new Typed<ushort>(property, v => checked((ushort)v)),
        TypeCode.Int32 => new Typed<int>(property, v => checked((int)v)),
        TypeCode.UInt32 => new Typed<uint>(property, v => checked((uint)v)),
        TypeCode.Int64 => new Typed<long>(property, v => v),
        TypeCode.UInt64 => new Typed<ulong>(property, v => checked((ulong)v)),
        _ => throw new ArgumentException($"Type '{type}' is not an integer type.", nameof(type)),
    };

    /// <summary>The next value of <paramref name="property"/>'s generator: one per key part per keyspace (a hierarchy shares it).</summary>
    protected static long NextStoreValue(EntityEntry entry, IProperty property)
    {
        var database = (LsmDatabaseWrapper)entry.Context.GetService<IDatabase>();

        // An owned collection element's ordinal key comes from its root owner's keyspace (owned values have none of their own).
        var owner = entry.Metadata;
        while (owner.IsOwned())
        {
            owner = owner.FindOwnership()!.PrincipalEntityType;
        }

        var mapping = database.Store.GetMappingForWrite(owner, database.Connection.SyncWrites);
        var keys = entry.Metadata.IsOwned() ? mapping.OwnedGeneratedKeys : mapping.GeneratedKeys;
        var key = keys.FirstOrDefault(k => k.Property == property) ?? throw new InvalidOperationException(
            $"The key property '{property.DeclaringType.DisplayName()}.{property.Name}' has no EFCore.Lsm key generator.");
        return database.Store.Generators.Next(mapping, key, database.Connection.SyncWrites);
    }

    private sealed class Typed<T>(IProperty property, Func<long, T> convert) : LsmIntegerValueGenerator
    {
        protected override object? NextValue(EntityEntry entry)
        {
            var value = NextStoreValue(entry, property);
            try
            {
                return convert(value);
            }
            catch (OverflowException e)
            {
                throw new InvalidOperationException(
                    $"The key generator of '{entry.Metadata.DisplayName()}' has run past the largest {typeof(T).Name} ({value}); "
                    + "use a wider key type.", e);
            }
        }
    }
}
