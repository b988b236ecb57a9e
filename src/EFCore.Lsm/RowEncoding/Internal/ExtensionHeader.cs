namespace EFCore.Lsm.RowEncoding.Internal;

/// <summary>The type code and payload length of an extension value (fixext1..16 or ext8/16/32).</summary>
public readonly record struct ExtensionHeader(sbyte TypeCode, uint Length);
