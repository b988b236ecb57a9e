using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.Lsm.Migrations.Internal;

/// <summary>
/// Migration ids as EF forms them, <c>yyyyMMddHHmmss_Name</c> (UTC), so ids that <c>dotnet ef migrations add</c> writes and
/// hand-written ones sort in creation order and name the migration after the underscore.
/// </summary>
internal sealed partial class LsmMigrationsIdGenerator : IMigrationsIdGenerator
{
    private const string Format = "yyyyMMddHHmmss";
    private DateTime _last = DateTime.MinValue;
    private readonly Lock _lock = new();

    public string GenerateId(string name)
    {
        lock (_lock)
        {
            var now = DateTime.UtcNow;
            var timestamp = new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, DateTimeKind.Utc);
            if (timestamp <= _last)
            {
                timestamp = _last.AddSeconds(1);
            }

            _last = timestamp;
            return timestamp.ToString(Format, CultureInfo.InvariantCulture) + "_" + name;
        }
    }

    public string GetName(string id) => id[(Format.Length + 1)..];

    public bool IsValidId(string value) => IdPattern().IsMatch(value);

    [GeneratedRegex("^[0-9]{14}_.+$")]
    private static partial Regex IdPattern();
}
