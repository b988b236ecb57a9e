namespace EFCore.Lsm.Engine;

/// <summary>
/// Receives the values found by <see cref="LsmDatabase.MultiGet(IReadOnlyList{byte[]}, IMultiGetSink, ReadOptions?)"/>.
/// Implement it over whatever the values go to (one growing buffer, decoded rows) so that a lookup of many keys copies
/// each value once, into its destination, with no array per value.
/// </summary>
public interface IMultiGetSink
{
    /// <summary>
    /// The key at <paramref name="index"/> of the caller's list has <paramref name="value"/>. Called once per key that has a
    /// value (once per occurrence when a key is listed several times), in the order the lookup resolves keys, which is
    /// not the caller's order; keys without a value are not reported. <paramref name="value"/> is valid only during the
    /// call: copy what you keep. The call must not use the database.
    /// </summary>
    void Found(int index, ReadOnlySpan<byte> value);
}
