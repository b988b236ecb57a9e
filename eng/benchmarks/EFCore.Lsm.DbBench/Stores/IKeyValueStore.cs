namespace EFCore.Lsm.DbBench.Stores;

/// <summary>
/// The operations db_bench's workloads need, implemented by every engine under test. Implementations are thread-safe
/// for concurrent Put/Get/Write (the engines are); batches and iterators belong to one thread.
/// </summary>
internal interface IKeyValueStore : IDisposable
{
    /// <summary>The engine's name as given to <c>--engines</c>.</summary>
    string Name { get; }

    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync);

    void Delete(ReadOnlySpan<byte> key, bool sync);

    /// <summary>
    /// Copies the value of <paramref name="key"/> into <paramref name="destination"/> (truncated to fit) and returns its
    /// full length, or -1 when the key is absent. Every engine copies, as db_bench's Get into a std::string does.
    /// </summary>
    int Get(ReadOnlySpan<byte> key, Span<byte> destination);

    IKeyValueBatch CreateBatch();

    /// <summary>Applies the batch atomically and leaves it as it was (call <see cref="IKeyValueBatch.Clear"/> to reuse).</summary>
    void Write(IKeyValueBatch batch, bool sync);

    IKeyValueIterator NewIterator();
}

/// <summary>An engine's write batch; reusable after <see cref="Clear"/>.</summary>
internal interface IKeyValueBatch : IDisposable
{
    int Count { get; }

    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    void Delete(ReadOnlySpan<byte> key);

    void Clear();
}

/// <summary>A forward cursor over the latest state; <see cref="Key"/>/<see cref="Value"/> are valid until the next move.</summary>
internal interface IKeyValueIterator : IDisposable
{
    bool Valid { get; }

    ReadOnlySpan<byte> Key { get; }

    ReadOnlySpan<byte> Value { get; }

    void SeekToFirst();

    void Seek(ReadOnlySpan<byte> key);

    void Next();
}
