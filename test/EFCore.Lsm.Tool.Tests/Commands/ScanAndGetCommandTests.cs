using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Commands;

public sealed class ScanAndGetCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Get_prints_the_value_of_a_key_in_a_table_and_of_one_only_in_the_wal()
    {
        using (var db = _folder.OpenDatabase())
        {
            db.Put("customer/ada"u8, "Ada Lovelace"u8);
            db.Flush();
            db.Put("customer/alan"u8, "Alan Turing"u8);
        }

        var run = new ToolRun();
        Assert.Equal(0, new GetCommand(run.Output).Run(_folder.DbPath, "customer/ada", hex: false));
        Assert.Equal("Ada Lovelace\n", run.Out);
        Assert.Empty(run.Error);

        run = new ToolRun();
        Assert.Equal(0, new GetCommand(run.Output).Run(_folder.DbPath, "customer/alan", hex: false));
        Assert.Equal("Alan Turing\n", run.Out);
    }

    [Fact]
    public void Get_of_a_missing_or_deleted_key_exits_with_not_found()
    {
        using (var db = _folder.OpenDatabase())
        {
            db.Put("gone"u8, "x"u8);
            db.Flush();
            db.Delete("gone"u8);
        }

        foreach (var key in new[] { "gone", "never" })
        {
            var run = new ToolRun();
            var exit = new GetCommand(run.Output).Run(_folder.DbPath, key, hex: false);
            run.AssertOneErrorLine(exit, ExitCodes.NotFound, $"'{key}'", "not found");
            Assert.Empty(run.Out);
        }
    }

    [Fact]
    public void Get_with_hex_key_and_binary_value()
    {
        using (var db = _folder.OpenDatabase())
        {
            db.Put([0x00, 0xFF], [0x01, 0x02, 0x0A]);
        }

        var run = new ToolRun();
        Assert.Equal(0, new GetCommand(run.Output).Run(_folder.DbPath, "0x00ff", hex: false));
        Assert.Equal("0x01020A\n", run.Out);

        run = new ToolRun();
        Assert.Equal(0, new GetCommand(run.Output).Run(_folder.DbPath, "00FF", hex: true));
        Assert.Equal("0x01020A\n", run.Out);
    }

    [Fact]
    public void Get_with_bad_hex_fails_before_touching_the_database()
    {
        using (_folder.OpenDatabase())
        {
        }

        var before = _folder.Snapshot();
        var run = new ToolRun();
        var exit = new GetCommand(run.Output).Run(_folder.DbPath, "0x12z4", hex: false);
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, "0x12z4", "not valid hex");
        Assert.Equal(before.Keys, _folder.Snapshot().Keys);
    }

    [Fact]
    public void Scan_honours_from_to_prefix_and_limit()
    {
        using (var db = _folder.OpenDatabase())
        {
            foreach (var key in new[] { "a/1", "a/2", "a/3", "b/1", "b/2", "c" })
            {
                db.Put(Bytes.Utf8(key), Bytes.Utf8("v-" + key));
            }
        }

        Assert.Equal(
            ["a/1 => v-a/1", "a/2 => v-a/2", "a/3 => v-a/3", "b/1 => v-b/1", "b/2 => v-b/2", "c => v-c"], Scan(new ScanSettings()));
        Assert.Equal(["a/2 => v-a/2", "a/3 => v-a/3", "b/1 => v-b/1"], Scan(new ScanSettings { From = "a/2", To = "b/2" }));
        Assert.Equal(["b/1 => v-b/1", "b/2 => v-b/2"], Scan(new ScanSettings { Prefix = "b/" }));
        Assert.Equal(["a/2 => v-a/2"], Scan(new ScanSettings { Prefix = "a/", From = "a/2", To = "a/3" }));
        Assert.Equal(["a/1", "a/2"], Scan(new ScanSettings { Limit = 2, KeysOnly = true }));
        Assert.Equal(["3"], Scan(new ScanSettings { Prefix = "a", Count = true }));
        Assert.Equal(["0"], Scan(new ScanSettings { From = "z", To = "a", Count = true }));
        Assert.Empty(Scan(new ScanSettings { Limit = 0 }));
        Assert.Equal(["0x63 => 0x762D63"], Scan(new ScanSettings { Prefix = "63", Hex = true }));
    }

    [Fact]
    public void Scan_rejects_a_negative_limit_and_bad_hex_bounds()
    {
        using (_folder.OpenDatabase())
        {
        }

        var run = new ToolRun();
        var exit = new ScanCommand(run.Output).Run(_folder.DbPath, new ScanSettings { Limit = -1 });
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, "--limit");

        run = new ToolRun();
        exit = new ScanCommand(run.Output).Run(_folder.DbPath, new ScanSettings { To = "0x1" });
        run.AssertOneErrorLine(exit, ExitCodes.BadInput, "--to '0x1'", "odd number");
    }

    [Fact]
    public void Scan_matches_a_reference_model_over_random_writes_and_ranges()
    {
        // Seeded: random puts, overwrites and deletes over a small key space, spread over several tables and the WAL,
        // then random scans compared line for line with a sorted dictionary.
        var random = new Random(31337);
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string RandomKey() => "k" + random.Next(0, 300).ToString("D3", System.Globalization.CultureInfo.InvariantCulture)
                              + (random.Next(4) == 0 ? "/x" : "");
        using (var db = _folder.OpenDatabase())
        {
            for (var i = 0; i < 3000; i++)
            {
                var key = RandomKey();
                if (random.Next(5) == 0)
                {
                    db.Delete(Bytes.Utf8(key));
                    model.Remove(key);
                }
                else
                {
                    var value = "v" + i;
                    db.Put(Bytes.Utf8(key), Bytes.Utf8(value));
                    model[key] = value;
                }

                if (i % 1000 == 999)
                {
                    db.Flush();
                }
            }
        }

        for (var round = 0; round < 40; round++)
        {
            var settings = new ScanSettings
            {
                From = random.Next(3) == 0 ? null : RandomKey(),
                To = random.Next(3) == 0 ? null : RandomKey(),
                Prefix = random.Next(3) == 0 ? "k" + random.Next(0, 30).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                Limit = random.Next(3) == 0 ? random.Next(0, 50) : null,
            };
            var expected = model
                .Where(p => (settings.From is null || string.CompareOrdinal(p.Key, settings.From) >= 0)
                            && (settings.To is null || string.CompareOrdinal(p.Key, settings.To) < 0)
                            && (settings.Prefix is null || p.Key.StartsWith(settings.Prefix, StringComparison.Ordinal)))
                .Take((int)(settings.Limit ?? int.MaxValue))
                .Select(p => $"{p.Key} => {p.Value}")
                .ToArray();
            Assert.Equal(expected, Scan(settings));
            var count = expected.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal([count], Scan(settings with { Count = true }));
        }
    }

    [Fact]
    public void Scan_prints_keys_that_get_accepts_back()
    {
        byte[][] keys = [[0x00], [0x30, 0x78], "plain"u8.ToArray(), [0x61, 0x0A], [0xFF, 0xFE]];
        using (var db = _folder.OpenDatabase())
        {
            foreach (var key in keys)
            {
                db.Put(key, key);
            }
        }

        var lines = Scan(new ScanSettings { KeysOnly = true });
        Assert.Equal(keys.Length, lines.Length);
        foreach (var line in lines)
        {
            var run = new ToolRun();
            Assert.Equal(0, new GetCommand(run.Output).Run(_folder.DbPath, line, hex: false));
            Assert.Equal(line + "\n", run.Out);
            Assert.Contains(ByteText.Parse(line, false, "key"), keys);
        }
    }

    private string[] Scan(ScanSettings settings)
    {
        var run = new ToolRun();
        var exit = new ScanCommand(run.Output).Run(_folder.DbPath, settings);
        Assert.True(exit == 0, run.Error);
        Assert.Empty(run.Error);
        return run.OutLines;
    }
}
