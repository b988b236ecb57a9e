using EFCore.Lsm.Migrations.Internal;

namespace EFCore.Lsm.Tests.Migrations;

/// <summary>
/// What a migration may store as a column's new type (AlterColumn conversions, InsertData values, defaults): the value
/// unchanged, or a refusal naming it — never a value that reads back differently.
/// </summary>
public sealed class StoredValuesCoerceTests
{
    [Theory]
    [InlineData("150", typeof(int), 150)]
    [InlineData("-7", typeof(long), -7L)]
    [InlineData("2.5", typeof(double), 2.5)]
    [InlineData(3, typeof(long), 3L)]
    [InlineData(3L, typeof(int), 3)]
    public void Values_that_read_back_unchanged_are_converted(object value, Type type, object expected)
        => Assert.Equal(expected, StoredValues.Coerce(value, type, "column 'Code'"));

    [Fact]
    public void Decimal_text_keeps_its_scale()
        => Assert.Equal(1.50m, StoredValues.Coerce("1.50", typeof(decimal), "column 'Price'"));

    [Theory]
    [InlineData("0150", typeof(int))]
    [InlineData(" 150", typeof(int))]
    [InlineData("+150", typeof(int))]
    [InlineData("1e3", typeof(double))]
    [InlineData("1.0", typeof(double))]
    [InlineData(2.5, typeof(int))]
    [InlineData(300, typeof(byte))]
    public void Values_that_would_change_are_refused_naming_the_value_and_the_column(object value, Type type)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => StoredValues.Coerce(value, type, "column 'Code'"));
        Assert.Contains("column 'Code'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(type.Name, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_guid_given_as_text_in_any_case_is_the_same_guid()
    {
        var guid = Guid.NewGuid();
        Assert.Equal(guid, StoredValues.Coerce(guid.ToString("D").ToUpperInvariant(), typeof(Guid), "column 'Id'"));
    }
}
