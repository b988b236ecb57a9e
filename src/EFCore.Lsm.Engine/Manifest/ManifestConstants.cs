namespace EFCore.Lsm.Engine.Manifest;

/// <summary>Shape of the level tree recorded in the manifest (docs/manifest_format.md).</summary>
internal static class ManifestConstants
{
    /// <summary>Levels 0..6. Stored in version edits: a manifest naming level 7 or above is rejected as corrupt.</summary>
    public const int NumLevels = 7;
}
