using EFCore.Lsm.Metadata.Internal;

namespace EFCore.Lsm.Tests.Metadata.Catalog;

public sealed class StoredTypeConversionTests
{
    public enum Small : byte
    {
        A = 1,
    }

    [Theory]
    [InlineData(typeof(int), typeof(long), true)]
    [InlineData(typeof(ushort), typeof(int), true)]
    [InlineData(typeof(uint), typeof(long), true)]
    [InlineData(typeof(int), typeof(uint), false)]
    [InlineData(typeof(long), typeof(int), false)]
    [InlineData(typeof(long), typeof(double), false)]
    [InlineData(typeof(int), typeof(double), true)]
    [InlineData(typeof(int), typeof(float), false)]
    [InlineData(typeof(short), typeof(float), true)]
    [InlineData(typeof(float), typeof(double), true)]
    [InlineData(typeof(double), typeof(float), false)]
    [InlineData(typeof(ulong), typeof(decimal), true)]
    [InlineData(typeof(char), typeof(string), true)]
    [InlineData(typeof(string), typeof(char), false)]
    [InlineData(typeof(int), typeof(string), false)]
    [InlineData(typeof(Small), typeof(int), true)]
    [InlineData(typeof(int), typeof(Small), false)]
    [InlineData(typeof(int?), typeof(long), true)]
    public void Only_conversions_that_change_no_value_are_lossless(Type stored, Type model, bool lossless) =>
        Assert.Equal(lossless, StoredTypeConversion.IsLossless(stored, model));

    [Fact]
    public void Values_convert_both_ways_and_a_model_value_that_does_not_fit_is_refused()
    {
        var conversion = StoredTypeConversion.Find(typeof(int), typeof(long))!;
        Assert.Equal(7L, conversion.ToModel(7));
        Assert.Equal(7, conversion.ToStored(7L));
        Assert.Throws<OverflowException>(() => conversion.ToStored(5_000_000_000L));

        var toDouble = StoredTypeConversion.Find(typeof(int), typeof(double))!;
        Assert.Equal(3.0, toDouble.ToModel(3));
        Assert.Throws<OverflowException>(() => toDouble.ToStored(2.5));

        var fromEnum = StoredTypeConversion.Find(typeof(Small), typeof(int))!;
        Assert.Equal(1, fromEnum.ToModel(Small.A));
        Assert.Equal(Small.A, fromEnum.ToStored(1));
        Assert.Null(StoredTypeConversion.Find(typeof(int), typeof(int)));
    }
}
