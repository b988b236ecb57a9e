using EFCore.Lsm.Engine.Util;

namespace EFCore.Lsm.Engine.Tests.Util;

public class Crc32CTests
{
    [Fact]
    public void Matches_published_check_values()
    {
        // RFC 3720 B.4 / LevelDB crc32c_test: 32 zero bytes and the ASCII digits "123456789".
        Assert.Equal(0x8a9136aau, Crc32C.Compute(new byte[32]));
        Assert.Equal(0xe3069283u, Crc32C.Compute("123456789"u8));
        var ascending = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(0x46dd794eu, Crc32C.Compute(ascending));
    }

    [Fact]
    public void Extend_equals_whole_computation_at_every_split()
    {
        var data = Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray();
        var whole = Crc32C.Compute(data);
        for (var split = 0; split <= data.Length; split++)
        {
            Assert.Equal(whole, Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }

    [Fact]
    public void Mask_round_trips_and_changes_value()
    {
        var crc = Crc32C.Compute("foo"u8);
        Assert.NotEqual(crc, Crc32C.Mask(crc));
        Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));
    }
}
