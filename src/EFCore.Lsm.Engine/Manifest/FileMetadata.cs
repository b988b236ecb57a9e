using EFCore.Lsm.Engine.Format;

namespace EFCore.Lsm.Engine.Manifest;

/// <summary>
/// What the manifest records about one SSTable: its number (<c>NNNNNN.sst</c>), size, and key and sequence ranges.
/// Immutable once created, so versions can share instances.
/// </summary>
internal sealed class FileMetadata
{
    public FileMetadata(ulong number, long size, byte[] smallest, byte[] largest, ulong smallestSequence, ulong largestSequence)
    {
        ArgumentNullException.ThrowIfNull(smallest);
        ArgumentNullException.ThrowIfNull(largest);
        Number = number;
        Size = size;
        Smallest = smallest;
        Largest = largest;
        SmallestSequence = smallestSequence;
        LargestSequence = largestSequence;
    }

    public ulong Number { get; }

    /// <summary>File size in bytes.</summary>
    public long Size { get; }

    /// <summary>Smallest internal key in the file.</summary>
    public byte[] Smallest { get; }

    /// <summary>Largest internal key in the file.</summary>
    public byte[] Largest { get; }

    /// <summary>Smallest sequence number of any entry in the file.</summary>
    public ulong SmallestSequence { get; }

    /// <summary>Largest sequence number of any entry in the file.</summary>
    public ulong LargestSequence { get; }

    public override string ToString()
        => $"#{Number} {Size} bytes [{InternalKey.Describe(Smallest)} .. {InternalKey.Describe(Largest)}]"
            + $" seq {SmallestSequence}..{LargestSequence}";
}
