namespace EFCore.Lsm.Metadata.Internal;

/// <summary>Names of the annotations the provider reads from EF's model.</summary>
internal static class LsmAnnotationNames
{
    private const string Prefix = "Lsm:";

    /// <summary>
    /// On a runtime index: its per-part descending flags (<c>bool[]</c>; empty = all descending), which EF's runtime model
    /// does not keep.
    /// </summary>
    public const string IndexDescending = Prefix + "IndexDescending";
}
