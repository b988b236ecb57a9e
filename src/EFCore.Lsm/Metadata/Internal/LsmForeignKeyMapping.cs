using EFCore.Lsm.KeyEncoding.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>How the dependents of a principal are found in storage, from the most to the least direct path.</summary>
internal enum LsmDependentAccess
{
    /// <summary>An index of the dependent whose leading columns are the foreign key properties (EF creates one per foreign key).</summary>
    Index,

    /// <summary>The dependent's primary key starts with the foreign key properties (EF then creates no index): a key prefix.</summary>
    PrimaryKeyPrefix,

    /// <summary>Neither: every row of the dependent is read and its foreign key compared.</summary>
    FullScan,
}

/// <summary>
/// How one foreign key is checked and followed in storage (docs/referential_integrity.md). From a dependent's row: the key
/// that proves its principal exists — the principal's row key when the foreign key references the primary key, or the
/// entry of the unique index that enforces the referenced alternate key — which a save requires present. From a principal's
/// row: the byte range that holds its dependents (<see cref="Access"/>), which the delete of the principal reads to apply
/// the delete behaviour and requires unchanged until it commits.
/// </summary>
internal sealed class LsmForeignKeyMapping
{
    private readonly LsmEntityMapping.PropertyMapping[] _dependentColumns;
    private readonly LsmEntityMapping.PropertyMapping[] _principalColumns;

    public LsmForeignKeyMapping(IForeignKey foreignKey, LsmEntityMapping dependent, LsmEntityMapping principal)
    {
        ForeignKey = foreignKey;
        Dependent = dependent;
        Principal = principal;
        _dependentColumns = [.. foreignKey.Properties.Select(dependent.Property)];
        _principalColumns = [.. foreignKey.PrincipalKey.Properties.Select(principal.Property)];
        Name = $"{foreignKey.DeclaringEntityType.DisplayName()}({string.Join(", ", foreignKey.Properties.Select(p => p.Name))}) → "
            + $"{foreignKey.PrincipalEntityType.DisplayName()}({string.Join(", ", foreignKey.PrincipalKey.Properties.Select(p => p.Name))})";

        if (!foreignKey.PrincipalKey.IsPrimaryKey())
        {
            PrincipalKeyIndex = principal.FindKeyIndex(foreignKey.PrincipalKey) ?? throw new InvalidOperationException(
                $"The alternate key ({string.Join(", ", foreignKey.PrincipalKey.Properties.Select(p => p.Name))}) of '{principal.EntityType.DisplayName()}' has no "
                + "index in the catalog; register the model before saving.");
        }

        var count = _dependentColumns.Length;
        DependentIndex = dependent.Indexes.FirstOrDefault(index =>
            index.IsReady
            && index.Columns.Count >= count
            && index.Columns.Take(count).Select(c => c.Property).SequenceEqual(foreignKey.Properties));
        Access = DependentIndex is not null
            ? LsmDependentAccess.Index
            : dependent.KeyProperties.Count >= count
                && dependent.KeyProperties.Take(count).Select(c => c.Property).SequenceEqual(foreignKey.Properties)
                    ? LsmDependentAccess.PrimaryKeyPrefix
                    : LsmDependentAccess.FullScan;
    }

    public IForeignKey ForeignKey { get; }

    public LsmEntityMapping Dependent { get; }

    public LsmEntityMapping Principal { get; }

    /// <summary>For messages: <c>Post(BlogId) → Blog(Id)</c>.</summary>
    public string Name { get; }

    /// <summary>The unique index whose entries prove a principal exists, when the foreign key references an alternate key.</summary>
    public LsmIndexMapping? PrincipalKeyIndex { get; }

    public LsmDependentAccess Access { get; }

    /// <summary>The dependent's index used to find dependents when <see cref="Access"/> is <see cref="LsmDependentAccess.Index"/>.</summary>
    public LsmIndexMapping? DependentIndex { get; }

    /// <summary>The foreign key properties of the dependent, in foreign key order.</summary>
    public IReadOnlyList<LsmEntityMapping.PropertyMapping> DependentColumns => _dependentColumns;

    /// <summary>
    /// The key whose presence proves the principal that <paramref name="dependentRow"/> names exists (a principal row key, or
    /// an alternate key's unique entry); null when a foreign key value is null (the row names no principal). An encoded
    /// value no principal can have (a key over the size limit) gives a key that is never present.
    /// </summary>
    public byte[]? PrincipalKeyOf(ReadOnlySpan<byte> dependentRow) => PrincipalKeyOfValues(Dependent.ReadProperties(dependentRow, _dependentColumns));

    /// <summary>The foreign key values of a dependent row, for messages.</summary>
    public object?[] ForeignKeyValues(ReadOnlySpan<byte> dependentRow) => Dependent.ReadProperties(dependentRow, _dependentColumns);

    /// <summary>The key whose presence proves the principal with key values <paramref name="values"/> (principal key order) exists.</summary>
    public byte[]? PrincipalKeyOfValues(object?[] values)
    {
        if (Array.IndexOf(values, null) >= 0)
        {
            return null;
        }

        try
        {
            return PrincipalKeyIndex is { } index ? index.UniqueKeyOf(values) : Principal.EncodeKey(values);
        }
        catch (LsmInvalidEntityException)
        {
            // No principal can have a value that cannot be encoded: a key no row has.
            return [.. Principal.KeyspaceUpperBound, 0x00];
        }
    }

    /// <summary>The values of the referenced key of a principal row (model form, principal key order).</summary>
    public object?[] PrincipalValues(ReadOnlySpan<byte> principalRow) => Principal.ReadProperties(principalRow, _principalColumns);

    /// <summary>As <see cref="PrincipalValues(ReadOnlySpan{byte})"/>, into <paramref name="values"/> (one per referenced column).</summary>
    public void PrincipalValues(ReadOnlySpan<byte> principalRow, object?[] values) => Principal.ReadProperties(principalRow, _principalColumns, values);

    /// <summary>
    /// The byte range that holds the dependents (or their index entries) of the principal whose referenced key values are
    /// <paramref name="principalValues"/>. Throws <see cref="LsmInvalidEntityException"/> when the values cannot be encoded
    /// as the dependent's parts (then no dependent can name them).
    /// </summary>
    public (byte[] Lower, byte[] Upper) DependentRange(object?[] principalValues)
    {
        switch (Access)
        {
            case LsmDependentAccess.Index:
            {
                var prefix = DependentIndex!.EncodePrefix(principalValues);
                return (prefix, KeyRange.AfterParts(prefix));
            }

            case LsmDependentAccess.PrimaryKeyPrefix:
            {
                var prefix = Dependent.EncodeKeyPrefix(principalValues);
                return (prefix, KeyRange.AfterParts(prefix));
            }

            default:
                return (Dependent.KeyspaceLowerBound, Dependent.KeyspaceUpperBound);
        }
    }

    /// <summary>The dependent row key an entry of <see cref="DependentRange"/> stands for.</summary>
    public byte[] DependentRowKeyOf(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        Access == LsmDependentAccess.Index ? DependentIndex!.RowKeyOf(key, value) : key.ToArray();
}
