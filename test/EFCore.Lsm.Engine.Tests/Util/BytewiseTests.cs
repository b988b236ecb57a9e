using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Tests.Util;

public class BytewiseTests
{
    [Fact]
    public void Orders_like_the_library_comparison_for_every_length_and_first_difference()
    {
        // Lengths up to past the inline limit, pairs that differ at every position (in the word loop and in the tail),
        // proper prefixes both ways, and bytes at or above 0x80, which a signed comparison would misorder.
        var random = new Random(11);
        for (var length = 0; length <= 80; length++)
        {
            var a = new byte[length];
            random.NextBytes(a);
            Check(a, a.ToArray());
            Check(a, a.Take(length / 2).ToArray());
            Check(a, [.. a, 0]);
            for (var position = 0; position < length; position++)
            {
                var b = a.ToArray();
                b[position] ^= (byte)(1 + random.Next(255));
                Check(a, b);
                b[position] = (byte)(a[position] ^ 0x80);
                Check(a, b);
            }
        }
    }

    private static void Check(byte[] a, byte[] b)
    {
        Assert.Equal(Math.Sign(a.AsSpan().SequenceCompareTo(b)), Math.Sign(Bytewise.Compare(a, b)));
        Assert.Equal(Math.Sign(b.AsSpan().SequenceCompareTo(a)), Math.Sign(Bytewise.Compare(b, a)));
    }
}
