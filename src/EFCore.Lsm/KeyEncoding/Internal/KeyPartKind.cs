namespace EFCore.Lsm.KeyEncoding.Internal;

/// <summary>What kind of value an encoded key part holds, as its type code tells (see <see cref="KeyTypeCode"/>).</summary>
public enum KeyPartKind
{
    /// <summary>The byte is not a type code this format defines.</summary>
    Unknown,

    /// <summary>A null part.</summary>
    Null,

    /// <summary>A byte string.</summary>
    Bytes,

    /// <summary>A Unicode string.</summary>
    String,

    /// <summary>An integer of any .NET width, enums and the tick/day-number encodings of dates and times.</summary>
    Integer,

    /// <summary>A <see cref="double"/> or <see cref="float"/>.</summary>
    Double,

    /// <summary>A <see cref="decimal"/>.</summary>
    Decimal,

    /// <summary>A <see cref="bool"/>.</summary>
    Boolean,

    /// <summary>A <see cref="System.Guid"/>.</summary>
    Guid,
}
