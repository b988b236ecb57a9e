using EFCore.Lsm.KeyEncoding.Internal;
using static EFCore.Lsm.Tests.KeyEncoding.KeyTestSupport;

namespace EFCore.Lsm.Tests.KeyEncoding;

public class ScalarKeyTests
{
    [Fact]
    public void Booleans_sort_false_first_and_round_trip()
    {
        Assert.Equal("26", Hex(Encode((ref KeyWriter w) => w.Write(false))));
        Assert.Equal("27", Hex(Encode((ref KeyWriter w) => w.Write(true))));
        Assert.Equal("D8", Hex(Encode((ref KeyWriter w) => w.Write(false, descending: true))));
        Assert.Equal("D7", Hex(Encode((ref KeyWriter w) => w.Write(true, descending: true))));
        foreach (var value in new[] { false, true })
        {
            foreach (var descending in new[] { false, true })
            {
                Assert.Equal(value, new KeyReader(Encode((ref KeyWriter w) => w.Write(value, descending))).ReadBoolean());
            }
        }
    }

    [Fact]
    public void Guid_bytes_are_big_endian_and_byte_order_is_CompareTo_order()
    {
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        Assert.Equal("3000112233445566778899AABBCCDDEEFF", Hex(Encode((ref KeyWriter w) => w.Write(guid))));

        var random = new Random(1);
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < 10_000; i++)
        {
            random.NextBytes(bytes);
            if (random.Next(2) == 0)
            {
                bytes[random.Next(4)..].Clear(); // share leading bytes to reach the later fields
            }

            var a = new Guid(bytes);
            var b = random.Next(8) == 0 ? a : Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(random.NextInt64(0, 1L << 40)));
            var descending = random.Next(2) == 0;
            var ka = Encode((ref KeyWriter w) => w.Write(a, descending));
            var kb = Encode((ref KeyWriter w) => w.Write(b, descending));
            Assert.Equal(Math.Sign(a.CompareTo(b)) * (descending ? -1 : 1), Memcmp(ka, kb));
            Assert.Equal(a.Equals(b), ka.AsSpan().SequenceEqual(kb));
            Assert.Equal(a, new KeyReader(ka).ReadGuid());
        }
    }

    [Fact]
    public void Version_7_guids_sort_by_time()
    {
        var earlier = Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var later = Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001));
        Assert.True(Memcmp(Encode((ref KeyWriter w) => w.Write(earlier)), Encode((ref KeyWriter w) => w.Write(later))) < 0);
    }

    [Fact]
    public void Null_sorts_before_every_ascending_value_and_after_every_descending_value()
    {
        WriteParts[] values =
        [
            (ref KeyWriter w) => w.Write(long.MinValue), (ref KeyWriter w) => w.Write(ulong.MaxValue), (ref KeyWriter w) => w.Write(""),
            (ref KeyWriter w) => w.Write(Array.Empty<byte>()), (ref KeyWriter w) => w.Write(double.NaN), (ref KeyWriter w) => w.Write(decimal.MinValue),
            (ref KeyWriter w) => w.Write(false), (ref KeyWriter w) => w.Write(Guid.Empty), (ref KeyWriter w) => w.Write(decimal.MaxValue),
        ];
        var ascendingNull = Encode((ref KeyWriter w) => w.WriteNull());
        var descendingNull = Encode((ref KeyWriter w) => w.WriteNull(descending: true));
        Assert.Equal("00", Hex(ascendingNull));
        Assert.Equal("FE", Hex(descendingNull));
        foreach (var write in values)
        {
            var ascending = Encode(write);
            Assert.True(Memcmp(ascendingNull, ascending) < 0);
            Assert.True(ascending[0] <= KeyTypeCode.LargestAscending);
            var descending = ascending.ToArray();
            descending[0] = KeyTypeCode.Descending(descending[0]);
            Assert.True(Memcmp(descending, descendingNull) < 0);
            Assert.NotEqual(0xFF, descending[0]);
        }
    }
}
