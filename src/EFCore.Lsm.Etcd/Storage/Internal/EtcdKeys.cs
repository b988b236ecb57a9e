using System.Buffers.Binary;
using Google.Protobuf;

namespace EFCore.Lsm.Etcd.Storage.Internal;

/// <summary>
/// The mapping between the provider's keys and etcd keys (docs/etcd_backend.md, "Keys"): etcd key = key prefix + provider
/// key, in the same bytewise order. The backend's own keys sit under key prefix + 0xFF, which no provider key starts with
/// (docs/storage_seam.md), so no scan of the provider's sees them.
/// </summary>
internal sealed class EtcdKeys
{
    private const byte ReservedByte = 0xFF;
    private static readonly byte[] SlotTag = "slot/"u8.ToArray();

    private readonly byte[] _prefix;

    public EtcdKeys(byte[] prefix)
    {
        _prefix = prefix;
        ProbeKey = Reserved("probe"u8);
        (PrefixStart, PrefixEnd) = PrefixRange(prefix);
    }

    public int PrefixLength => _prefix.Length;

    /// <summary>A key nothing writes: reading it costs the least and answers the cluster's current revision.</summary>
    public ByteString ProbeKey { get; }

    /// <summary>The first etcd key of this store's key space.</summary>
    public ByteString PrefixStart { get; }

    /// <summary>The etcd range end of this store's key space ("\0" means every key from <see cref="PrefixStart"/> on).</summary>
    public ByteString PrefixEnd { get; }

    /// <summary>The etcd key of a provider key. The array is fresh and owned by the returned ByteString.</summary>
    public ByteString Key(ReadOnlySpan<byte> key)
    {
        var bytes = new byte[_prefix.Length + key.Length];
        _prefix.CopyTo(bytes, 0);
        key.CopyTo(bytes.AsSpan(_prefix.Length));
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>The start of an etcd range for an inclusive provider lower bound (etcd keys are never empty).</summary>
    public ByteString RangeStart(ReadOnlySpan<byte> lower) =>
        _prefix.Length == 0 && lower.IsEmpty ? UnsafeByteOperations.UnsafeWrap(new byte[1]) : Key(lower);

    /// <summary>The provider key of an etcd key of this store.</summary>
    public ReadOnlySpan<byte> Strip(ByteString key) => key.Span[_prefix.Length..];

    /// <summary>The commit slot key <paramref name="index"/> of the client <paramref name="clientId"/> (docs/etcd_backend.md).</summary>
    public ByteString SlotKey(ReadOnlySpan<byte> clientId, int index)
    {
        Span<byte> suffix = stackalloc byte[SlotTag.Length + clientId.Length + sizeof(int)];
        SlotTag.CopyTo(suffix);
        clientId.CopyTo(suffix[SlotTag.Length..]);
        BinaryPrimitives.WriteInt32BigEndian(suffix[(SlotTag.Length + clientId.Length)..], index);
        return Reserved(suffix);
    }

    /// <summary>The key that follows <paramref name="key"/> immediately in bytewise order: a forward page's next start.</summary>
    public static ByteString Successor(ByteString key)
    {
        var bytes = new byte[key.Length + 1];
        key.Span.CopyTo(bytes);
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    /// <summary>Whether the etcd range [start, end) holds no key.</summary>
    public static bool IsEmptyRange(ByteString start, ByteString end) => start.Span.SequenceCompareTo(end.Span) >= 0;

    private ByteString Reserved(ReadOnlySpan<byte> suffix)
    {
        Span<byte> key = stackalloc byte[1 + suffix.Length];
        key[0] = ReservedByte;
        suffix.CopyTo(key[1..]);
        return Key(key);
    }

    private static (ByteString Start, ByteString End) PrefixRange(byte[] prefix)
    {
        if (prefix.Length == 0)
        {
            return (UnsafeByteOperations.UnsafeWrap(new byte[1]), UnsafeByteOperations.UnsafeWrap(new byte[1]));
        }

        // The range end of a prefix: the prefix with its last byte below 0xFF incremented and what follows dropped.
        var last = prefix.AsSpan().LastIndexOfAnyExcept(ReservedByte);
        var end = prefix.AsSpan(0, last + 1).ToArray();
        end[last]++;
        return (ByteString.CopyFrom(prefix), UnsafeByteOperations.UnsafeWrap(end));
    }
}
