using System.Globalization;

namespace EFCore.Lsm.Tool.Formatting;

/// <summary>Small wording helpers for reports.</summary>
internal static class Text
{
    /// <summary>"1 table", "3 tables".</summary>
    public static string Plural(long count, string noun)
        => count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? noun : noun + "s");

    /// <summary>A human-readable byte count (exact counts are printed beside it where they matter).</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
