using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.RowEncoding.Internal;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// The byte layout of one index entry (docs/index_encoding.md), from provider values: the one place both the save path
/// (<see cref="LsmIndexMapping"/>, from model values) and migrations (from stored values) build entries.
/// </summary>
internal static class IndexEntryFormat
{
    /// <summary>
    /// The entry of index keyspace <paramref name="indexPrefix"/> for a row whose primary key parts (the row key without its
    /// keyspace part) are <paramref name="primaryKey"/> and whose indexed provider values are <paramref name="values"/>.
    /// Throws <see cref="IndexPartException"/> naming the part that cannot be encoded, and
    /// <see cref="LsmKeyTooLargeException"/> for an entry over the key size limit.
    /// </summary>
    public static IndexEntry Encode(
        byte[] indexPrefix,
        ReadOnlySpan<byte> primaryKey,
        IReadOnlyList<ProviderValueCodec> codecs,
        ReadOnlySpan<object?> values,
        IReadOnlyList<bool> descending,
        bool unique)
    {
        var writer = new KeyWriter(stackalloc byte[256]);
        try
        {
            writer.WriteRaw(indexPrefix);
            var hasNull = false;
            for (var i = 0; i < codecs.Count; i++)
            {
                if (values[i] is not { } value)
                {
                    writer.WriteNull(descending[i]);
                    hasNull = true;
                    continue;
                }

                try
                {
                    codecs[i].WriteKeyPart(ref writer, value, descending[i]);
                }
                catch (ArgumentException e) when (e is not LsmKeyTooLargeException)
                {
                    throw new IndexPartException(i, e);
                }
            }

            if (!unique || hasNull)
            {
                writer.WriteRaw(primaryKey);
                KeyEncodingLimits.CheckKeySize(writer.Length);
                return new IndexEntry(writer.ToArray(), [], Unique: false);
            }

            KeyEncodingLimits.CheckKeySize(writer.Length);
            return new IndexEntry(writer.ToArray(), primaryKey.ToArray(), Unique: true);
        }
        finally
        {
            writer.Dispose();
        }
    }
}

/// <summary>Part <see cref="Part"/> of an index entry cannot be encoded (a lone surrogate in a string).</summary>
internal sealed class IndexPartException(int part, Exception inner) : Exception(inner.Message, inner)
{
    public int Part { get; } = part;
}
