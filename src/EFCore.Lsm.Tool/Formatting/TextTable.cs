namespace EFCore.Lsm.Tool.Formatting;

/// <summary>
/// Plain aligned columns, two spaces apart, no borders or colours (output is often piped). Rows are buffered a page at a
/// time so a long listing starts printing at once and never holds more than a page; every page is aligned on its own.
/// </summary>
internal sealed class TextTable(TextWriter writer, IReadOnlyList<string> headers, int pageSize = 1000)
{
    private readonly List<string[]> _rows = [];
    private bool _headerWritten;

    public void Add(params string[] cells)
    {
        _rows.Add(cells);
        if (_rows.Count >= pageSize)
        {
            Flush();
        }
    }

    /// <summary>Writes the buffered rows (and, the first time, the header).</summary>
    public void Flush()
    {
        if (_headerWritten && _rows.Count == 0)
        {
            return;
        }

        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in _rows)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], Cell(row, i).Length);
            }
        }

        if (!_headerWritten)
        {
            WriteLine(headers, widths);
            _headerWritten = true;
        }

        foreach (var row in _rows)
        {
            WriteLine(row, widths);
        }

        _rows.Clear();
    }

    private void WriteLine(IReadOnlyList<string> cells, int[] widths)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = Cell(cells, i);
            if (i == widths.Length - 1)
            {
                writer.Write(cell);
            }
            else
            {
                writer.Write(cell.PadRight(widths[i] + 2));
            }
        }

        writer.WriteLine();
    }

    // Cells are one line each: an embedded line break would split a row.
    private static string Cell(IReadOnlyList<string> cells, int i) =>
        i < cells.Count ? cells[i].Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) : "";
}
