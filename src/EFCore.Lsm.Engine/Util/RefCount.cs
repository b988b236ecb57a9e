namespace EFCore.Lsm.Engine.Util;

/// <summary>Reference counts that reach zero exactly once, for objects readers pin without a lock.</summary>
internal static class RefCount
{
    /// <summary>
    /// Adds a reference unless the count is already zero (the object was retired); then the caller must not use the
    /// object and reloads the newer one that replaced it.
    /// </summary>
    public static bool TryIncrement(ref int refs)
    {
        var current = Volatile.Read(ref refs);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref refs, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }
}
