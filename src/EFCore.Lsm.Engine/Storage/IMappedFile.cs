namespace EFCore.Lsm.Engine.Storage;

/// <summary>
/// A random-access file whose whole contents are mapped into memory, so a reader can use its bytes in place instead of
/// copying them out (<see cref="IFileSystem.OpenMappedRandomAccess"/> of a file system with mappings returns one).
/// The memory is valid from open until the file is disposed; the holder must not dispose it while anything still reads
/// through <see cref="Start"/>.
/// </summary>
internal unsafe interface IMappedFile
{
    /// <summary>The first byte of the mapping; <see cref="IRandomAccessFile.Length"/> bytes follow.</summary>
    byte* Start { get; }
}
