namespace EFCore.Lsm.Engine.Format;

/// <summary>
/// The kind of an entry, stored in the low 8 bits of an internal key's trailer and in WAL batch records.
/// These values are written to disk: do not change them.
/// </summary>
internal enum ValueKind : byte
{
    /// <summary>A tombstone: the key is deleted as of this sequence number.</summary>
    Delete = 0,

    /// <summary>A value.</summary>
    Put = 1,
}
