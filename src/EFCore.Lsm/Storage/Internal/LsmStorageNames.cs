namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// Names shared by the provider's storage mapping. The key and row encodings live beside this file
/// (see docs/key_encoding.md and docs/row_encoding.md).
/// </summary>
public static class LsmStorageNames
{
    /// <summary>The provider's name as EF reports it in <c>Database.ProviderName</c>.</summary>
    public const string ProviderName = "EFCore.Lsm";
}
