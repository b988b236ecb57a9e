using System.Xml.Linq;
using EFCore.Lsm.DbBench.Reporting;

namespace EFCore.Lsm.Benchmarks.Tests.Reporting;

public sealed class SvgBarChartTests
{
    [Fact]
    public void Labels_with_markup_characters_stay_well_formed_text()
    {
        var bars = new List<SvgBarChart.Bar>
        {
            new("a<b & \"c\"", 0.5, "0.50x vs <rocksdb>"),
            new("ctrl\u0001char", 2.25, "2.25x"),
            new("zero", 0, "0x"),
        };
        var document = XDocument.Parse(SvgBarChart.Render("title & <more>", bars, 1.0, "peer = 1.0"));

        var texts = document.Root!.Elements().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.Contains("title & <more>", texts);
        Assert.Contains("a<b & \"c\"", texts);
        Assert.Contains("ctrlchar", texts);

        // Bar widths are proportional to the values: 2.25 is 4.5 times 0.5, and 0 is empty.
        var widths = document.Root.Elements().Where(e => e.Name.LocalName == "rect" && e.Attribute("fill")?.Value != "white")
            .Select(e => double.Parse(e.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, widths.Count);
        Assert.Equal(4.5, widths[1] / widths[0], 1);
        Assert.Equal(0, widths[2]);
    }

    [Fact]
    public void No_bars_still_renders_a_valid_document()
        => Assert.Equal("svg", XDocument.Parse(SvgBarChart.Render("empty", [], 1.0, "1.0")).Root!.Name.LocalName);

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(-1)]
    public void Values_that_cannot_be_drawn_are_rejected_by_name(double value)
    {
        var e = Assert.Throws<ArgumentException>(() => SvgBarChart.Render("t", [new("bad bar", value, "?")], 1.0, "1"));
        Assert.Contains("bad bar", e.Message, StringComparison.Ordinal);
    }
}
