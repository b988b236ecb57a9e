using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// The stored values of owned-reference members, which are pairs of nested maps of their owner's row under the ids of the
/// owned references on their path (docs/row_encoding.md, "Owned values"): read, replaced, and built for seed rows. A path is
/// the ids of those owned references from the row inward; an empty path is the row itself (a top-level value, which is
/// also what a complex member is).
/// </summary>
internal static class OwnedRowValues
{
    /// <summary>
    /// The path of the owned references holding the column stored as <paramref name="storedName"/>
    /// (<c>Home/Geo/Latitude</c>: the ids of <c>Home</c> and <c>Home/Geo</c>), from <paramref name="entity"/>'s records; null when
    /// one of them is not recorded (no row has a value there). A member of an owned collection's elements is refused: its
    /// values are elements of an array, not a column.
    /// </summary>
    public static uint[]? PathOf(CatalogEntity entity, string storedName, string what)
    {
        var parts = storedName.Split(LsmRowLayout.PathSeparator);
        var path = new uint[parts.Length - 1];
        for (var i = 0; i < path.Length; i++)
        {
            var name = string.Join(LsmRowLayout.PathSeparator, parts[..(i + 1)]);
            if (entity.FindProperty(name) is not { } navigation)
            {
                return null;
            }

            if (navigation.ProviderType != CatalogProperty.OwnedReferenceType)
            {
                throw OwnedCollectionMember(what, storedName, name, entity.DisplayTableName);
            }

            path[i] = navigation.Id;
        }

        return path;
    }

    public static NotSupportedException OwnedCollectionMember(string what, string member, string collection, string table) =>
        new(
            $"{what}: '{member}' of '{table}' is a member of the elements of the owned collection '{collection}' (OwnsMany), which "
            + "are stored as an array inside their owner's row, not as columns; EFCore.Lsm migrations do not change them. Without a "
            + "migration, a member added to the element type reads as its default in existing elements; keep removed members in "
            + "the model (saves of rows holding them are refused otherwise).");

    /// <summary>
    /// The map at <paramref name="path"/> in <paramref name="row"/> (the row itself for an empty path); false when an owned
    /// reference on the path is null or absent, so the row stores no value for the members of that map.
    /// </summary>
    public static bool TryFindMap(ReadOnlySpan<byte> row, ReadOnlySpan<uint> path, out ReadOnlySpan<byte> map)
    {
        map = row;
        foreach (var id in path)
        {
            using var reader = new RowReader(map);
            if (!reader.TryFind(id) || reader.IsNull)
            {
                map = default;
                return false;
            }

            map = reader.RawValue;
        }

        return true;
    }

    /// <summary>
    /// <paramref name="row"/> with the map at <paramref name="path"/> replaced by what <paramref name="update"/> makes of it;
    /// the row as it is when an owned reference on the path is null or absent.
    /// </summary>
    public static byte[] UpdateMap(byte[] row, ReadOnlySpan<uint> path, Func<byte[], byte[]> update)
    {
        if (path.IsEmpty)
        {
            return update(row);
        }

        var values = Pairs(row);
        if (!values.TryGetValue(path[0], out var nested) || nested[0] == MessagePackCode.Nil)
        {
            return row;
        }

        values[path[0]] = UpdateMap(nested, path[1..], update);
        return OperationInterpreter.EncodeRow(values);
    }

    /// <summary>The pairs of a map of row format, by id.</summary>
    public static SortedDictionary<uint, byte[]> Pairs(ReadOnlySpan<byte> map)
    {
        var values = new SortedDictionary<uint, byte[]>();
        using var reader = new RowReader(map);
        while (reader.MoveNext())
        {
            values[reader.PropertyId] = reader.RawValue.ToArray();
        }

        return values;
    }

    /// <summary>
    /// A map being built from column values (a seed row): values at the top level, and a nested map per owned reference on
    /// the paths of owned members. An owned reference none of whose members is given a value other than null is null, as EF
    /// reads an owned value whose columns are all null.
    /// </summary>
    public sealed class MapBuilder
    {
        private readonly SortedDictionary<uint, byte[]> _values = [];
        private readonly SortedDictionary<uint, MapBuilder> _nested = [];
        private bool _hasValue;

        public void Set(ReadOnlySpan<uint> path, uint id, byte[] raw)
        {
            var map = this;
            foreach (var navigation in path)
            {
                if (!map._nested.TryGetValue(navigation, out var nested))
                {
                    map._nested[navigation] = nested = new MapBuilder();
                }

                map = nested;
            }

            map._values[id] = raw;
            map._hasValue |= raw[0] != MessagePackCode.Nil;
        }

        public SortedDictionary<uint, byte[]> Build()
        {
            var values = new SortedDictionary<uint, byte[]>(_values);
            foreach (var (id, nested) in _nested)
            {
                if (nested.HasValue)
                {
                    values[id] = OperationInterpreter.EncodeRow(nested.Build());
                }
            }

            return values;
        }

        private bool HasValue => _hasValue || _nested.Values.Any(n => n.HasValue);
    }
}
