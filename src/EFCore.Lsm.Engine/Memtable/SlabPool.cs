namespace EFCore.Lsm.Engine.Memtable;

/// <summary>
/// Recycles the fixed-size arena slabs of flushed memtables into new memtables. Without it every memtable's slabs
/// become large-object garbage at once, and the process holds several memtables' worth of dead slabs until a full GC:
/// memory would follow the write rate, not the configuration. The pool keeps at most <see cref="MaxPooledSlabs"/>.
/// </summary>
internal sealed class SlabPool
{
    private readonly Stack<byte[]> _slabs = new();

    public SlabPool(int slabSize, int maxPooledSlabs)
    {
        SlabSize = slabSize;
        MaxPooledSlabs = maxPooledSlabs;
    }

    public int SlabSize { get; }

    public int MaxPooledSlabs { get; }

    public int Count
    {
        get
        {
            lock (_slabs)
            {
                return _slabs.Count;
            }
        }
    }

    public byte[] Rent()
    {
        lock (_slabs)
        {
            if (_slabs.TryPop(out var slab))
            {
                return slab;
            }
        }

        // Uninitialised: every byte a reader can reach is written before it is published.
        return GC.AllocateUninitializedArray<byte>(SlabSize);
    }

    public void Return(byte[] slab)
    {
        if (slab.Length != SlabSize)
        {
            return;
        }

        lock (_slabs)
        {
            if (_slabs.Count < MaxPooledSlabs)
            {
                _slabs.Push(slab);
            }
        }
    }
}
