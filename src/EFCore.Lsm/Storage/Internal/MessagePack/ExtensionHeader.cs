namespace EFCore.Lsm.Storage.Internal.MessagePack;

/// <summary>The type code and payload length of an extension value (fixext1..16 or ext8/16/32).</summary>
public readonly record struct ExtensionHeader(sbyte TypeCode, uint Length);
