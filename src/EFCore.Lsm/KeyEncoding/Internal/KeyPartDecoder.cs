namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>
/// Reads a key part back as a value of a given type, for the types whose key encoding is lossless (docs/key_encoding.md):
/// what lets a query read an index entry instead of its row (a covering index read). Other types are normalised by their
/// key encoding (decimal scale, DateTime kind, DateTimeOffset offset, -0 and NaN) and must be read from the row.
/// </summary>
internal static class KeyPartDecoder
{
    public static bool CanRead(Type type) =>
        Type.GetTypeCode(type) is TypeCode.Boolean or TypeCode.Char or TypeCode.SByte or TypeCode.Byte or TypeCode.Int16
            or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 or TypeCode.String
        && !type.IsEnum
        || type == typeof(Guid);

    /// <summary>The next part as a value of <paramref name="type"/> (one <see cref="CanRead"/> accepts), or null for a null part.</summary>
    public static object? Read(ref KeyReader reader, Type type)
    {
        if (reader.TryReadNull())
        {
            return null;
        }

        if (type == typeof(Guid))
        {
            return reader.ReadGuid();
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => reader.ReadBoolean(),
            TypeCode.Char => reader.ReadChar(),
            TypeCode.SByte => reader.ReadSByte(),
            TypeCode.Byte => reader.ReadByte(),
            TypeCode.Int16 => reader.ReadInt16(),
            TypeCode.UInt16 => reader.ReadUInt16(),
            TypeCode.Int32 => reader.ReadInt32(),
            TypeCode.UInt32 => reader.ReadUInt32(),
            TypeCode.Int64 => reader.ReadInt64(),
            TypeCode.UInt64 => reader.ReadUInt64(),
            TypeCode.String => reader.ReadString(),
            _ => throw new ArgumentException($"A key part of type '{type.Name}' is not read back exactly.", nameof(type)),
        };
    }
}
