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

        // A log axis around the reference: 2x and 0.5x are bars of the same length on either side of the 1.0 line.
        Assert.Equal(3, BarWidths(document).Count);
    }

    [Fact]
    public void Ratios_are_drawn_on_a_log_axis_so_double_and_half_have_the_same_length()
    {
        var document = XDocument.Parse(SvgBarChart.Render("t", [new("fast", 2.0, "2x"), new("slow", 0.5, "0.5x"), new("even", 1.0, "1x")], 1.0, "1"));

        var widths = BarWidths(document);
        Assert.Equal(widths[0], widths[1], 3);
        Assert.Equal(0, widths[2], 3);
    }

    [Fact]
    public void An_outlier_is_capped_at_the_axis_edge_with_an_arrow_and_does_not_flatten_the_others()
    {
        var withOutlier = XDocument.Parse(SvgBarChart.Render("t", [new("a", 2.0, "2x"), new("outlier", 1000, "1000x")], 1.0, "1"));
        var without = XDocument.Parse(SvgBarChart.Render("t", [new("a", 2.0, "2x"), new("b", 8.0, "8x")], 1.0, "1"));

        // The axis stops at 8x either way, so the 2x bar keeps its length; the capped bar gets an arrow.
        Assert.Equal(BarWidths(without)[0], BarWidths(withOutlier)[0], 3);
        Assert.Single(withOutlier.Root!.Elements(), e => e.Name.LocalName == "polygon");
        Assert.Contains("1000x", withOutlier.Root!.Elements().Where(e => e.Name.LocalName == "text").Select(e => e.Value));
    }

    [Fact]
    public void A_long_title_is_wrapped_into_lines_that_fit()
    {
        var title = string.Join(' ', Enumerable.Repeat("engines (ours, rocksdb, rocksdb-debian, leveldb, zonetree)", 4));
        var document = XDocument.Parse(SvgBarChart.Render(title, [new("a", 1.5, "1.5x")], 1.0, "1"));

        var lines = document.Root!.Elements().Where(e => e.Name.LocalName == "text" && e.Value.Contains("engines", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count >= 2);
        Assert.All(lines, l => Assert.True(l.Value.Length <= 90, l.Value));
    }

    private static List<double> BarWidths(XDocument document)
        => document.Root!.Elements().Where(e => e.Name.LocalName == "rect" && e.Attribute("fill")?.Value != "white")
            .Select(e => double.Parse(e.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

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
