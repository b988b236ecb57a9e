using System.Reflection;
using System.Runtime.CompilerServices;

namespace EFCore.Lsm.Query.Internal;

/// <summary>
/// The one string order of EFCore.Lsm: ordinal by Unicode code point, null first. It is the order of string key parts
/// (strict UTF-8 sorts by code point, docs/key_encoding.md), so a query orders strings the same whether the order comes
/// from a key or index scan or from a sort, and never depends on the culture the application runs under. It differs from
/// <see cref="string.CompareOrdinal(string, string)"/> (UTF-16 code units) only between a surrogate pair and a character in
/// U+E000..U+FFFF.
/// </summary>
internal sealed class LsmStringComparer : IComparer<string?>
{
    public static readonly LsmStringComparer Instance = new();

    public static readonly MethodInfo CompareMethod = typeof(LsmStringComparer).GetMethod(
        nameof(Compare), BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(string)])!;

    private LsmStringComparer()
    {
    }

    int IComparer<string?>.Compare(string? x, string? y) => Compare(x, y);

    public static int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a != b)
            {
                return CodePointRank(a) - CodePointRank(b);
            }
        }

        return x.Length - y.Length;
    }

    // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF, so they rank after U+E000..U+FFFF, which move down.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CodePointRank(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
}

/// <summary>
/// <c>EF.Functions.Like</c>: <c>%</c> matches any run of characters, <c>_</c> one character, the escape character makes the
/// next one literal; letters compare case-insensitively (ordinal, invariant upper case), as databases' default collations
/// do. A null input or pattern matches nothing.
/// </summary>
internal static class LsmLike
{
    public static readonly MethodInfo LikeMethod = typeof(LsmLike).GetMethod(nameof(Like))!;

    public static bool Like(string? input, string? pattern, string? escape)
    {
        if (input is null || pattern is null)
        {
            return false;
        }

        var escapeCharacter = string.IsNullOrEmpty(escape) ? (char?)null : escape[0];
        return Match(input.AsSpan(), pattern.AsSpan(), escapeCharacter);
    }

    private static bool Match(ReadOnlySpan<char> input, ReadOnlySpan<char> pattern, char? escape)
    {
        // Iterative matching with backtracking to the last '%' (linear for patterns with one '%', at worst quadratic).
        int i = 0, p = 0, starPattern = -1, starInput = -1;
        while (i < input.Length)
        {
            if (p < pattern.Length)
            {
                var c = pattern[p];
                if (c == escape && p + 1 < pattern.Length)
                {
                    if (SameLetter(pattern[p + 1], input[i]))
                    {
                        i++;
                        p += 2;
                        continue;
                    }
                }
                else if (c == '%')
                {
                    starPattern = p++;
                    starInput = i;
                    continue;
                }
                else if (c == '_' || SameLetter(c, input[i]))
                {
                    i++;
                    p++;
                    continue;
                }
            }

            if (starPattern < 0)
            {
                return false;
            }

            p = starPattern + 1;
            i = ++starInput;
        }

        while (p < pattern.Length && pattern[p] == '%')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool SameLetter(char a, char b) => a == b || char.ToUpperInvariant(a) == char.ToUpperInvariant(b);
}
