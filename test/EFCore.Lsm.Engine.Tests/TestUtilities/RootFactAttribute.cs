namespace EFCore.Lsm.Engine.Tests.TestUtilities;

/// <summary>
/// A test that needs root on Linux: it mounts a read-only file system or makes a file immutable (<c>chattr +i</c>), which
/// is how a real EROFS or EPERM reaches the engine (permission bits do not stop root). CI runs as root; elsewhere the
/// test is skipped with this reason.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Skip = "Needs root on Linux (mount, chattr).";
        }
    }
}
