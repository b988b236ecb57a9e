using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// Checks every index of every entity type against its rows from the catalog alone, without the application's EF model,
/// so an operator's tool can run it on any database (<see cref="LsmDatabaseVerifier"/>). A row holds provider values (after
/// value converters) by property id, and an entry is made of their key parts, so the catalog's property ids, provider
/// types and index definitions are all it needs. A provider type it cannot load (an application's enum) is read as the
/// integer it is stored as, which is also how its key part is encoded (docs/key_encoding.md).
/// </summary>
internal static class LsmCatalogIndexVerifier
{
    public static LsmVerificationResult Verify(ILsmReadView view)
    {
        var catalog = LsmCatalog.Load(view);
        var problems = new List<string>();
        var skipped = new List<string>();
        long rows = 0;
        long entries = 0;
        foreach (var entity in catalog.Entities.Values.OrderBy(e => e.KeyspaceId))
        {
            var rowBounds = (CatalogKeys.KeyspacePrefix(entity.KeyspaceId), KeyRange.AfterParts(CatalogKeys.KeyspacePrefix(entity.KeyspaceId)));
            var types = entity.Properties.ToDictionary(p => p.Id, p => p.ProviderType);
            foreach (var index in entity.Indexes)
            {
                var name = $"{entity.Name}.{index.Name}";
                if (index.State != CatalogIndexState.Ready)
                {
                    skipped.Add($"{name}: still being built (state {index.State}); its entries are not complete yet");
                    continue;
                }

                var prefix = CatalogKeys.KeyspacePrefix(index.KeyspaceId);
                var codecs = index.PropertyIds.Select(id => CodecFor(types[id])).ToArray();
                var (indexRows, found) = LsmIndexVerifier.VerifyIndex(
                    view,
                    name,
                    rowBounds,
                    (prefix, KeyRange.AfterParts(prefix)),
                    (rowKey, row) => EntryOf(prefix, rowBounds.Item1.Length, index, codecs, rowKey, row),
                    problems);
                rows += indexRows;
                entries += found;
            }
        }

        return new LsmVerificationResult(problems, rows, entries, skipped);
    }

    private static IndexEntry EntryOf(
        byte[] indexPrefix, int rowPrefixLength, CatalogIndex index, ProviderValueCodec?[] codecs, byte[] rowKey, byte[] row)
    {
        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(indexPrefix);
            var hasNull = false;
            for (var i = 0; i < codecs.Length; i++)
            {
                var value = Read(row, index.PropertyIds[i], codecs[i]);
                if (value is null)
                {
                    writer.WriteNull(index.Descending[i]);
                    hasNull = true;
                }
                else if (codecs[i] is { } codec)
                {
                    codec.WriteKeyPart(ref writer, value, index.Descending[i]);
                }
                else if (value is long signed)
                {
                    writer.Write(signed, index.Descending[i]);
                }
                else
                {
                    writer.Write((ulong)value, index.Descending[i]);
                }
            }

            return LsmIndexMapping.Complete(ref writer, rowKey.AsSpan(rowPrefixLength), index.Unique, hasNull);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>The codec of a provider type by its catalog name, or null for a type this process cannot load (an enum).</summary>
    private static ProviderValueCodec? CodecFor(string providerType) =>
        Type.GetType(providerType) is { } type ? ProviderValueCodec.Find(type) : null;

    /// <summary>Property <paramref name="id"/> of a stored row (null when missing); without a codec, as a long or a ulong.</summary>
    private static object? Read(byte[] row, uint id, ProviderValueCodec? codec)
    {
        var reader = new RowReader(row);
        if (!reader.TryFind(id))
        {
            return null;
        }

        var value = reader.ValueReader;
        if (codec is not null)
        {
            return codec.ReadValue(ref value);
        }

        if (value.TryReadNil())
        {
            return null;
        }

        try
        {
            var copy = value;
            return copy.ReadInt64();
        }
        catch (MessagePackFormatException)
        {
            return value.ReadUInt64();
        }
    }
}
