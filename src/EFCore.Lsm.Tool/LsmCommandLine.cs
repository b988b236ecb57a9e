using System.CommandLine;
using System.CommandLine.Help;
using EFCore.Lsm.Tool.Commands;
using EFCore.Lsm.Tool.Output;

namespace EFCore.Lsm.Tool;

/// <summary>
/// The System.CommandLine surface of <c>lsm</c>: commands, arguments and options, each action handing its parsed values
/// to the command's handler class. No command logic lives here.
/// </summary>
internal static class LsmCommandLine
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen command; returns the exit code.</summary>
    public static int Invoke(IReadOnlyList<string> args, ToolOutput output)
    {
        var configuration = new InvocationConfiguration { Output = output.Out, Error = output.Error };
        var exitCode = Create(output).Parse(args).Invoke(configuration);
        output.Out.Flush();
        return exitCode;
    }

    /// <summary>
    /// The root is a plain command named "lsm" rather than a <see cref="RootCommand"/>, whose name (and so the usage line
    /// in help) is the host executable's: "EFCore.Lsm.Tool" when run as a dotnet tool.
    /// </summary>
    public static Command Create(ToolOutput output)
    {
        var root = new Command("lsm", "Inspect, verify, dump and compact EFCore.Lsm databases.")
        {
            new HelpOption(),
            new VersionOption(),
            Info(output),
            Tables(output),
            Catalog(output),
            Get(output),
            Scan(output),
            DumpWal(output),
            DumpSst(output),
            Verify(output),
            Compact(output),
            Stats(output),
        };
        return root;
    }

    private static Argument<string> DatabaseArgument() => new("db") { Description = "The database folder." };

    private static Option<bool> HexOption() => new("--hex")
    {
        Description = "Read keys given on the command line as hex, and print keys and values as hex.",
    };

    private static Command Info(ToolOutput output)
    {
        var db = DatabaseArgument();
        var hex = HexOption();
        var command = new Command("info", "Show CURRENT, the manifest's counters, the tables per level and the WALs (read-only).")
        {
            db,
            hex,
        };
        command.SetAction(r => new InfoCommand(output).Run(r.GetValue(db)!, r.GetValue(hex)));
        return command;
    }

    private static Option<string> EntityOption() => new("--entity")
    {
        Description = "An EF entity type (full or short name, as 'lsm tables' lists them): decode rows with property names and typed values.",
    };

    private static Option<RowFormat> FormatOption() => new("--format")
    {
        Description = "With --entity: 'table' (aligned columns) or 'json'.",
        DefaultValueFactory = _ => RowFormat.Table,
    };

    private static Command Tables(ToolOutput output)
    {
        var db = DatabaseArgument();
        var command = new Command(
            "tables", "List the EF entity types of the database: keyspace ids, key schemas, row counts, indexes, retired properties.")
        {
            db,
        };
        command.SetAction(r => new TablesCommand(output).Run(r.GetValue(db)!));
        return command;
    }

    private static Command Catalog(ToolOutput output)
    {
        var db = DatabaseArgument();
        var data = new Option<bool>("--data")
        {
            Description = "Also read every row: per property, the rows holding a value, and the retired properties whose values "
                + "are still stored (\"retiredWithData\").",
        };
        var command = new Command(
            "catalog",
            "Print the EF catalog (the stored schema: keyspaces, property ids, retired properties, key parts, indexes) as JSON, "
            + "and under \"schemaDrift\" what each application context found against its model when it last opened the database "
            + "(properties and entity types the model lacks, converted types, a refused look-alike rename). The tool loads no "
            + "model itself: the drift is what the application recorded.")
        {
            db,
            data,
        };
        command.SetAction(r => new CatalogCommand(output).Run(r.GetValue(db)!, r.GetValue(data)));
        return command;
    }

    private static Command Get(ToolOutput output)
    {
        var db = DatabaseArgument();
        var key = new Argument<string[]>("key")
        {
            Description = "The key: text, or hex with --hex or a 0x prefix. With --entity: the primary key values, in key order.",
            Arity = ArgumentArity.OneOrMore,
        };
        var hex = HexOption();
        var entity = EntityOption();
        var format = FormatOption();
        var command = new Command("get", "Print the value of one key, or with --entity one row (exit code 4 when there is none).")
        {
            db,
            key,
            hex,
            entity,
            format,
        };
        command.SetAction(r =>
        {
            var keys = r.GetValue(key)!;
            if (r.GetValue(entity) is { } entityName)
            {
                return r.GetValue(hex)
                    ? Refuse(output, "--hex applies to raw keys; with --entity, give the key values as text.")
                    : new EntityCommands(output).Get(r.GetValue(db)!, entityName, keys, r.GetValue(format));
            }

            return keys.Length != 1
                ? Refuse(output, $"get takes one raw key, not {keys.Length}; several values are an entity's key parts (add --entity).")
                : new GetCommand(output).Run(r.GetValue(db)!, keys[0], r.GetValue(hex));
        });
        return command;
    }

    private static Command Scan(ToolOutput output)
    {
        var db = DatabaseArgument();
        var from = new Option<string>("--from") { Description = "First key (inclusive)." };
        var to = new Option<string>("--to") { Description = "End key (exclusive)." };
        var prefix = new Option<string>("--prefix") { Description = "Only keys starting with this." };
        var limit = new Option<long?>("--limit") { Description = "Stop after this many keys (rows with --entity)." };
        var hex = HexOption();
        var keysOnly = new Option<bool>("--keys-only") { Description = "Print keys without values." };
        var count = new Option<bool>("--count") { Description = "Print only the number of keys (rows with --entity)." };
        var entity = EntityOption();
        var whereKey = new Option<string[]>("--where-key")
        {
            Description = "With --entity: a condition on a key property, 'Name=value' or with <, <=, >, >=; repeat it for "
                + "leading parts ('CustomerId=2' '--where-key' 'Number>=10'). Together they must form one key range.",
            AllowMultipleArgumentsPerToken = false,
        };
        var format = FormatOption();
        var command = new Command("scan", "Print key => value for the live keys in order, or with --entity the rows of one entity type.")
        {
            db,
            from,
            to,
            prefix,
            limit,
            hex,
            keysOnly,
            count,
            entity,
            whereKey,
            format,
        };
        command.SetAction(r =>
        {
            if (r.GetValue(entity) is { } entityName)
            {
                var raw = new (string Name, bool Given)[]
                {
                    ("--from", r.GetValue(from) is not null),
                    ("--to", r.GetValue(to) is not null),
                    ("--prefix", r.GetValue(prefix) is not null),
                    ("--hex", r.GetValue(hex)),
                    ("--keys-only", r.GetValue(keysOnly)),
                };
                if (raw.FirstOrDefault(o => o.Given) is { Name: { } rawOption })
                {
                    return Refuse(output, $"{rawOption} applies to raw keys; with --entity, bound the rows with --where-key.");
                }

                return new EntityCommands(output).Scan(r.GetValue(db)!, new EntityScanSettings
                {
                    Entity = entityName,
                    WhereKey = r.GetValue(whereKey) ?? [],
                    Limit = r.GetValue(limit),
                    Format = r.GetValue(format),
                    Count = r.GetValue(count),
                });
            }

            if (r.GetValue(whereKey) is { Length: > 0 })
            {
                return Refuse(output, "--where-key needs --entity: it names key properties of an entity type.");
            }

            return new ScanCommand(output).Run(r.GetValue(db)!, new ScanSettings
            {
                From = r.GetValue(from),
                To = r.GetValue(to),
                Prefix = r.GetValue(prefix),
                Limit = r.GetValue(limit),
                Hex = r.GetValue(hex),
                KeysOnly = r.GetValue(keysOnly),
                Count = r.GetValue(count),
            });
        });
        return command;
    }

    private static int Refuse(ToolOutput output, string message) => CommandRunner.Fail(output, ExitCodes.BadInput, message);

    private static Command DumpWal(ToolOutput output)
    {
        var db = new Argument<string>("db") { Description = "The database folder, or a single .log file." };
        var file = new Argument<string?>("file")
        {
            Description = "A WAL file number, name or path (default: every WAL in the folder).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var hex = HexOption();
        var command = new Command("dump-wal", "Print every WAL record (offset, sequence, count) and entry (read-only).") { db, file, hex };
        command.SetAction(r => new DumpWalCommand(output).Run(r.GetValue(db)!, r.GetValue(file), r.GetValue(hex)));
        return command;
    }

    private static Command DumpSst(ToolOutput output)
    {
        var db = new Argument<string>("db") { Description = "The database folder, or a single .sst file." };
        var file = new Argument<string?>("file")
        {
            Description = "A table file number, name or path.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var entries = new Option<bool>("--entries") { Description = "Also list every internal key with a value preview." };
        var hex = HexOption();
        var command = new Command("dump-sst", "Print a table's properties and, with --entries, its entries (read-only).")
        {
            db,
            file,
            entries,
            hex,
        };
        command.SetAction(r => new DumpSstCommand(output).Run(r.GetValue(db)!, r.GetValue(file), r.GetValue(entries), r.GetValue(hex)));
        return command;
    }

    private static Command Verify(ToolOutput output)
    {
        var db = DatabaseArgument();
        var indexes = new Option<bool>("--indexes")
        {
            Description = "Instead of the files, check the EF data: every index entry points to a live row with those values and "
                + "every row has its entries (prints the rows and entries read and the indexes skipped; exit code 2 when "
                + "inconsistent). Unlike the file check, this opens the database and takes its lock: exit code 3 while an "
                + "application has it open.",
        };
        var command = new Command(
            "verify",
            "Check every block of every live table, every WAL record and the manifest (exit code 2 on damage; read-only and "
            + "lock-free), or with --indexes the EF indexes against the rows.")
        {
            db,
            indexes,
        };
        command.SetAction(r => r.GetValue(indexes)
            ? new VerifyCommand(output).RunIndexes(r.GetValue(db)!)
            : new VerifyCommand(output).Run(r.GetValue(db)!));
        return command;
    }

    private static Command Compact(ToolOutput output)
    {
        var db = DatabaseArgument();
        var from = new Option<string>("--from") { Description = "First key of the range (inclusive; default: the start)." };
        var to = new Option<string>("--to") { Description = "Last key of the range (inclusive; default: the end)." };
        var hex = HexOption();
        var command = new Command("compact", "Compact a key range (default: everything) and print the stats before and after.")
        {
            db,
            from,
            to,
            hex,
        };
        command.SetAction(r => new CompactCommand(output).Run(r.GetValue(db)!, r.GetValue(from), r.GetValue(to), r.GetValue(hex)));
        return command;
    }

    private static Command Stats(ToolOutput output)
    {
        var db = DatabaseArgument();
        var command = new Command("stats", "Print the engine's statistics (lsm.stats).") { db };
        command.SetAction(r => new StatsCommand(output).Run(r.GetValue(db)!));
        return command;
    }
}
