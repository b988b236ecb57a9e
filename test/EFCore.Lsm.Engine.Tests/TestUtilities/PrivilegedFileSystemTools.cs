using System.Diagnostics;

namespace EFCore.Lsm.Engine.Tests.TestUtilities;

/// <summary>The root-only tools <see cref="RootFactAttribute"/> tests use: a tmpfs that can be remounted read-only, chattr.</summary>
internal static class PrivilegedFileSystemTools
{
    public static void Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} failed: {error}");
    }

    /// <summary>A fresh tmpfs at a new folder; <see cref="MakeReadOnly"/> remounts it read-only (EROFS for every write).</summary>
    public sealed class TmpfsMount : IDisposable
    {
        private readonly TempDirectory _dir = new("tmpfs");

        public TmpfsMount()
        {
            Run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", _dir.Path);
        }

        public string Path => _dir.Path;

        public void MakeReadOnly() => Run("mount", "-o", "remount,ro", _dir.Path);

        public void Dispose()
        {
            Run("umount", _dir.Path);
            _dir.Dispose();
        }
    }
}
