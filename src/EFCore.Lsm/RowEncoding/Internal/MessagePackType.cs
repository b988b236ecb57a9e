namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>The family a MessagePack value belongs to, whatever width or form it was written in.</summary>
public enum MessagePackType
{
    Nil,
    Boolean,
    Integer,
    Float,
    String,
    Binary,
    Array,
    Map,
    Extension,
}
