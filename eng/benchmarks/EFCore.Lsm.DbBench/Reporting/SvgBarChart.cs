using System.Globalization;
using System.Text;

namespace EFCore.Lsm.DbBench.Reporting;

/// <summary>
/// A horizontal bar chart of ratios as a standalone SVG document, on a log2 axis centred on a reference value (1.0 =
/// parity): a bar grows right of the reference line when the value is above it and left when below, so 2× and 0.5× are
/// bars of the same length and one outlier cannot flatten the rest. Values beyond the axis range are capped (drawn to the
/// edge with an arrow) and printed in full. Each bar can carry a range whisker (min–max over rounds). The title and
/// subtitle are wrapped to the chart's width. Just enough SVG for a report, no plotting package.
/// </summary>
internal static class SvgBarChart
{
    private const int Width = 900;
    private const int LabelWidth = 150;
    private const int ValueTextWidth = 250;
    private const int RowHeight = 26;
    private const int TitleLineHeight = 20;
    private const int AxisHeight = 44;

    /// <summary>The axis spans reference / 2^MaxOctaves .. reference × 2^MaxOctaves; bars beyond are capped.</summary>
    private const double MaxOctaves = 3;

    /// <summary>One bar; <paramref name="Min"/>/<paramref name="Max"/> (both or neither) draw a whisker.</summary>
    public sealed record Bar(string Label, double Value, string ValueText, double? Min = null, double? Max = null);

    public static string Render(string title, IReadOnlyList<Bar> bars, double referenceValue, string referenceLabel, string? subtitle = null)
    {
        foreach (var bar in bars)
        {
            foreach (var v in new[] { bar.Value, bar.Min ?? 1, bar.Max ?? 1 })
            {
                if (!double.IsFinite(v) || v < 0)
                {
                    throw new ArgumentException($"Bar '{bar.Label}' has value {v}; bars must be finite and non-negative.", nameof(bars));
                }
            }
        }

        if (!(referenceValue > 0) || !double.IsFinite(referenceValue))
        {
            throw new ArgumentException($"The reference value must be positive and finite, not {referenceValue}.", nameof(referenceValue));
        }

        // The axis covers the data (at least ±1 octave), at most ±MaxOctaves.
        var octaves = 1.0;
        foreach (var bar in bars)
        {
            foreach (var v in new[] { bar.Value, bar.Min ?? referenceValue, bar.Max ?? referenceValue })
            {
                if (v > 0)
                {
                    octaves = Math.Max(octaves, Math.Ceiling(Math.Abs(Math.Log2(v / referenceValue))));
                }
            }
        }

        octaves = Math.Min(octaves, MaxOctaves);
        var titleLines = Wrap(title, 80).Concat(subtitle is null ? [] : Wrap(subtitle, 110)).ToList();
        var top = 14 + (titleLines.Count * TitleLineHeight) + 10;
        var plotLeft = LabelWidth;
        var plotWidth = Width - LabelWidth - ValueTextWidth;
        var height = top + (Math.Max(1, bars.Count) * RowHeight) + AxisHeight;
        double X(double value)
        {
            var o = value <= 0 ? -octaves : Math.Clamp(Math.Log2(value / referenceValue), -octaves, octaves);
            return plotLeft + ((o + octaves) / (2 * octaves) * plotWidth);
        }

        var refX = X(referenceValue);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="13">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{height}" fill="white"/>""").Append('\n');
        for (var i = 0; i < titleLines.Count; i++)
        {
            var weight = i == 0 ? " font-weight=\"bold\" font-size=\"15\"" : " font-size=\"12\"";
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width / 2}" y="{14 + ((i + 1) * TitleLineHeight) - 4}" text-anchor="middle"{weight}>{Escape(titleLines[i])}</text>""").Append('\n');
        }

        var axisBottom = top + (Math.Max(1, bars.Count) * RowHeight);

        // Grid lines and tick labels at every octave: 0.125×, 0.25×, 0.5×, 1×, 2×, 4×, 8× of the reference.
        for (var o = -octaves; o <= octaves; o++)
        {
            var value = referenceValue * Math.Pow(2, o);
            var x = X(value);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x:F1}" y1="{top - 4}" x2="{x:F1}" y2="{axisBottom}" stroke="#ddd"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x:F1}" y="{axisBottom + 16}" text-anchor="middle" font-size="11">{Escape(FormatTick(value))}</text>""").Append('\n');
        }

        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = top + (i * RowHeight);
            var fill = bar.Value >= referenceValue ? "#2e7d32" : "#c62828";
            var x = X(bar.Value);
            var (left, right) = x >= refX ? (refX, x) : (x, refX);
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{LabelWidth - 8}" y="{y + 17}" text-anchor="end">{Escape(bar.Label)}</text>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{left:F1}" y="{y + 5}" width="{right - left:F1}" height="{RowHeight - 10}" fill="{fill}"/>""").Append('\n');
            var capped = bar.Value > 0 && Math.Abs(Math.Log2(bar.Value / referenceValue)) > octaves;
            if (capped)
            {
                // An arrow at the capped end says the bar runs off the axis.
                var tip = bar.Value > referenceValue ? right + 8 : left - 8;
                var baseX = bar.Value > referenceValue ? right : left;
                svg.Append(CultureInfo.InvariantCulture, $"""<polygon points="{baseX:F1},{y + 3} {tip:F1},{y + (RowHeight / 2)} {baseX:F1},{y + RowHeight - 3}" fill="{fill}"/>""").Append('\n');
            }

            if (bar.Min is { } min && bar.Max is { } max)
            {
                var (x1, x2) = (X(min), X(max));
                var mid = y + (RowHeight / 2);
                svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x1:F1}" y1="{mid}" x2="{x2:F1}" y2="{mid}" stroke="#222"/>""").Append('\n');
                svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x1:F1}" y1="{mid - 5}" x2="{x1:F1}" y2="{mid + 5}" stroke="#222"/>""").Append('\n');
                svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x2:F1}" y1="{mid - 5}" x2="{x2:F1}" y2="{mid + 5}" stroke="#222"/>""").Append('\n');
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{plotLeft + plotWidth + 14}" y="{y + 17}">{Escape(bar.ValueText)}</text>""").Append('\n');
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{refX:F1}" y1="{top - 6}" x2="{refX:F1}" y2="{axisBottom + 4}" stroke="#333" stroke-dasharray="4 3"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{plotLeft}" y1="{axisBottom}" x2="{plotLeft + plotWidth}" y2="{axisBottom}" stroke="#333"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{plotLeft + (plotWidth / 2)}" y="{axisBottom + 34}" text-anchor="middle" font-size="12">{Escape(referenceLabel)} (log scale; whiskers: min-max over rounds)</text>""").Append('\n');
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string FormatTick(double value)
        => value >= 1 ? value.ToString("0.##", CultureInfo.InvariantCulture) + "x" : value.ToString("0.###", CultureInfo.InvariantCulture) + "x";

    /// <summary>Splits text into lines of at most about <paramref name="width"/> characters at spaces.</summary>
    internal static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : "").Append(word);
        }

        if (line.Length > 0 || lines.Count == 0)
        {
            lines.Add(line.ToString());
        }

        return lines;
    }

    private static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': escaped.Append("&amp;"); break;
                case '<': escaped.Append("&lt;"); break;
                case '>': escaped.Append("&gt;"); break;
                case '"': escaped.Append("&quot;"); break;
                case '\'': escaped.Append("&apos;"); break;
                default:
                    // XML 1.0 forbids most control characters even when escaped.
                    if (c >= ' ' || c is '\t' or '\n' or '\r')
                    {
                        escaped.Append(c);
                    }

                    break;
            }
        }

        return escaped.ToString();
    }
}
