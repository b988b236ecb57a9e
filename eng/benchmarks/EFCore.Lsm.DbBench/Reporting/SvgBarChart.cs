using System.Globalization;
using System.Text;

namespace EFCore.Lsm.DbBench.Reporting;

/// <summary>
/// A horizontal bar chart as a standalone SVG document: one bar per labelled value, a reference line (e.g. at 1.0 for
/// ratios) and the value printed beside each bar. Just enough SVG for a report, no plotting package.
/// </summary>
internal static class SvgBarChart
{
    private const int Width = 760;
    private const int LabelWidth = 130;
    private const int ValueTextWidth = 170;
    private const int RowHeight = 26;
    private const int Top = 48;
    private const int Bottom = 30;

    public sealed record Bar(string Label, double Value, string ValueText);

    public static string Render(string title, IReadOnlyList<Bar> bars, double referenceValue, string referenceLabel)
    {
        foreach (var bar in bars)
        {
            if (!double.IsFinite(bar.Value) || bar.Value < 0)
            {
                throw new ArgumentException($"Bar '{bar.Label}' has value {bar.Value}; bars must be finite and non-negative.", nameof(bars));
            }
        }

        var max = Math.Max(referenceValue, bars.Count == 0 ? 0 : bars.Max(b => b.Value)) * 1.05;
        if (max <= 0)
        {
            max = 1;
        }

        var plotWidth = Width - LabelWidth - ValueTextWidth;
        var height = Top + (Math.Max(1, bars.Count) * RowHeight) + Bottom;
        double X(double value) => LabelWidth + (value / max * plotWidth);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="13">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{height}" fill="white"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{Escape(title)}</text>""").Append('\n');

        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = Top + (i * RowHeight);
            var fill = bar.Value >= referenceValue ? "#2e7d32" : "#c62828";
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{LabelWidth - 8}" y="{y + 17}" text-anchor="end">{Escape(bar.Label)}</text>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{LabelWidth}" y="{y + 4}" width="{X(bar.Value) - LabelWidth:F1}" height="{RowHeight - 8}" fill="{fill}"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(bar.Value) + 6:F1}" y="{y + 17}">{Escape(bar.ValueText)}</text>""").Append('\n');
        }

        var refX = X(referenceValue);
        var axisBottom = Top + (Math.Max(1, bars.Count) * RowHeight);
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{refX:F1}" y1="{Top - 6}" x2="{refX:F1}" y2="{axisBottom + 4}" stroke="#333" stroke-dasharray="4 3"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{refX:F1}" y="{axisBottom + 20}" text-anchor="middle" font-size="12">{Escape(referenceLabel)}</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{LabelWidth}" y1="{Top - 6}" x2="{LabelWidth}" y2="{axisBottom + 4}" stroke="#333"/>""").Append('\n');
        svg.Append("</svg>\n");
        return svg.ToString();
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
