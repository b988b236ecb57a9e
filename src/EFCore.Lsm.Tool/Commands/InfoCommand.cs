using EFCore.Lsm.Engine;
using EFCore.Lsm.Engine.Format;
using EFCore.Lsm.Engine.Manifest;
using EFCore.Lsm.Engine.Storage;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.Tool.Entities;
using EFCore.Lsm.Tool.Formatting;
using EFCore.Lsm.Tool.Inspection;
using EFCore.Lsm.Tool.Output;
using EFCore.Lsm.Tool.Storage;

namespace EFCore.Lsm.Tool.Commands;

/// <summary>
/// <c>lsm info &lt;db&gt;</c>: CURRENT, the manifest's counters, the live tables per level (size, key range, entry count
/// from each table's properties) and the WALs. Strictly read-only: it reads CURRENT, the manifest, table properties and
/// WAL records, and takes no lock, so it also works beside a running process: a description that met a missing or
/// unreadable file is believed only if CURRENT and the manifest did not change meanwhile (else it is made again). For an EF
/// database it adds one line summarising the drift records (docs/catalog.md), read through a read-only open of the engine.
/// </summary>
internal sealed class InfoCommand(ToolOutput output)
{
    public int Run(string database, bool hex) => CommandRunner.Run(output, () =>
    {
        var path = DatabaseFolder.Require(database);
        var (text, problems) = ConsistentRead.Run(LocalFileSystem.Instance, path, () => Describe(path, hex), r => r.Problems.Count > 0);
        output.Out.Write(text);
        if (problems.Count == 0)
        {
            return ExitCodes.Success;
        }

        foreach (var problem in problems.SkipLast(1))
        {
            output.Error.WriteLine("error: " + problem);
        }

        return CommandRunner.Fail(output, ExitCodes.Corruption, problems[^1]);
    });

    private static (string Text, List<string> Problems) Describe(string path, bool hex)
    {
        var manifest = DatabaseManifest.Read(path);
        var w = new StringWriter();
        var problems = new List<string>();

        w.WriteLine($"Database       {path}");
        w.WriteLine($"CURRENT        {manifest.ManifestName}");
        w.WriteLine($"Last sequence  {manifest.LastSequence} (as of the manifest; live WALs may hold newer writes)");
        w.WriteLine($"Next file      {manifest.NextFileNumber}");
        w.WriteLine($"Log number     {manifest.LogNumber} (WALs from this number on are replayed when the database opens)");
        if (SchemaDriftSummary(path) is { } drift)
        {
            w.WriteLine($"Schema drift   {drift}");
        }

        var live = new HashSet<ulong>();
        w.WriteLine("Tables per level  " + string.Join("  ", manifest.Levels.Select((files, level) => $"L{level} {files.Length}")));
        for (var level = 0; level < manifest.Levels.Length; level++)
        {
            var files = manifest.Levels[level];
            if (files.Length == 0)
            {
                continue;
            }

            long bytes = 0, entries = 0;
            foreach (var file in files)
            {
                bytes += file.Size;
                live.Add(file.Number);
            }

            w.WriteLine();
            w.WriteLine($"Level {level}: {Text.Plural(files.Length, "table")}, {Text.Size(bytes)}");
            foreach (var file in files)
            {
                var name = Path.GetFileName(FileNames.TableFile(path, file.Number));
                w.Write($"  {name}  {file.Size} bytes  keys ");
                ByteText.Write(w, InternalKey.UserKey(file.Smallest), hex);
                w.Write(" .. ");
                ByteText.Write(w, InternalKey.UserKey(file.Largest), hex);
                w.Write($"  seq {file.SmallestSequence}..{file.LargestSequence}");
                try
                {
                    using var table = TableFile.Open(FileNames.TableFile(path, file.Number));
                    var properties = table.Properties;
                    entries += properties.EntryCount;
                    w.WriteLine($"  {properties.EntryCount} entries ({properties.DeletionCount} deletions)");
                }
                catch (LsmException e)
                {
                    var problem = e is LsmCorruptionException c ? CommandRunner.Describe(c) : CommandRunner.OneLine(e.Message);
                    problems.Add(problem);
                    w.WriteLine($"  UNREADABLE: {problem}");
                }
            }

            if (files.Length > 1)
            {
                w.WriteLine($"  total {entries} entries");
            }
        }

        w.WriteLine();
        var logs = DatabaseFolder.ListFiles(path, DbFileKind.Log);
        w.WriteLine($"WAL files: {logs.Count}");
        foreach (var (number, logPath) in logs)
        {
            var name = Path.GetFileName(logPath);
            if (number < manifest.LogNumber)
            {
                w.WriteLine($"  {name}  {new FileInfo(logPath).Length} bytes  obsolete (already in tables)");
                continue;
            }

            try
            {
                var summary = WalFile.Walk(logPath, visitor: null);
                w.Write($"  {name}  {summary.Length} bytes  {Text.Plural(summary.Records, "record")}");
                w.Write(summary.Entries > 0 ? $", {summary.Entries} entries, seq {summary.FirstSequence}..{summary.LastSequence}" : "");
                w.WriteLine(summary.TrailingBytes > 0 ? $", {summary.TrailingBytes} bytes of torn tail" : "");
            }
            catch (LsmException e)
            {
                var problem = e is LsmCorruptionException c ? CommandRunner.Describe(c) : CommandRunner.OneLine(e.Message);
                problems.Add(problem);
                w.WriteLine($"  {name}  UNREADABLE: {problem}");
            }
        }

        var others = new List<string>();
        foreach (var file in Directory.EnumerateFiles(path))
        {
            var name = Path.GetFileName(file);
            var known = FileNames.TryParse(name, out var kind, out var number);
            var expected = known && (kind is DbFileKind.Log or DbFileKind.Current or DbFileKind.Lock or DbFileKind.Identity
                || (kind == DbFileKind.Table && live.Contains(number))
                || (kind == DbFileKind.Manifest && name == manifest.ManifestName));
            if (!expected)
            {
                others.Add(name);
            }
        }

        if (others.Count > 0)
        {
            others.Sort(StringComparer.Ordinal);
            w.WriteLine();
            w.WriteLine($"Other files (not live; the engine deletes its own leftovers once it proves them redundant): {string.Join(", ", others)}");
        }

        return (w.ToString(), problems);
    }

    /// <summary>
    /// The one-line summary of the drift records of an EF database (docs/catalog.md, "Drift records"), read through a read-only
    /// open (no lock, no write); null for a database EFCore.Lsm did not create. A database that cannot be opened is described
    /// as such here; the file checks below name the damage.
    /// </summary>
    private static string? SchemaDriftSummary(string path)
    {
        try
        {
            using var store = new EngineKeyValueStore(DatabaseFolder.OpenReadOnly(path));
            using var view = store.OpenView();
            return LsmCatalog.Load(view).Exists ? SchemaDriftText.Summary(SchemaDriftRecord.LoadAll(view)) : null;
        }
        catch (Exception e) when (e is LsmException or EFCore.Lsm.Storage.LsmStoredDataException)
        {
            return "not read: " + CommandRunner.OneLine(e.Message);
        }
    }
}
