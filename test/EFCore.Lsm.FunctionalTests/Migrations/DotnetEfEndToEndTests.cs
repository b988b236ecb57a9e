using System.Diagnostics;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Migrations.Internal;
using EFCore.Lsm.Storage.Internal;
using EFCore.Lsm.KeyEncoding.Internal;

namespace EFCore.Lsm.FunctionalTests.Migrations;

/// <summary>
/// The real <c>dotnet ef</c> (restored from the repository's tool manifest, <c>.config/dotnet-tools.json</c>) on a copy of
/// src/Samples/MigrationsSample: <c>migrations add Initial</c>, <c>database update</c>, then the model changes (a property
/// renamed, an index added, the key changed), <c>migrations add Change</c>, <c>migrations list</c>, <c>database update</c>,
/// and the rows are checked: every value kept, re-keyed, indexed. Three builds of the sample, so a few minutes on a busy
/// machine.
/// </summary>
public sealed class DotnetEfEndToEndTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(15);
    private readonly string _work = Path.Combine(AppContext.BaseDirectory, "ef-e2e-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        LsmStorePoolEntries.Shared.CloseUnder(_work);
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Dotnet_ef_adds_and_applies_migrations_that_rename_index_and_rekey_without_losing_data()
    {
        var repository = RepositoryRoot();
        var sample = Path.Combine(repository, "src", "Samples", "MigrationsSample");
        Directory.CreateDirectory(_work);
        foreach (var file in Directory.GetFiles(sample, "*.cs").Concat(Directory.GetFiles(sample, "*.csproj")))
        {
            File.Copy(file, Path.Combine(_work, Path.GetFileName(file)));
        }

        // The copy sits under the repository (so its central package versions apply) but not beside the provider.
        var project = Path.Combine(_work, "MigrationsSample.csproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace(
            @"..\..\EFCore.Lsm\EFCore.Lsm.csproj", Path.Combine(repository, "src", "EFCore.Lsm", "EFCore.Lsm.csproj"), StringComparison.Ordinal));
        var database = Path.Combine(_work, "db");

        Run(repository, "tool", "restore");
        Run(_work, "build");
        Run(_work, "ef", "migrations", "add", "Initial", "--no-build");

        // The model changes: Note becomes Remark, Title gets an index, the key goes from Id to Isbn.
        File.Copy(Path.Combine(_work, "Model.Changed.cs"), Path.Combine(_work, "Model.cs"), overwrite: true);
        Run(_work, "build");
        Run(_work, "ef", "database", "update", "--no-build");
        Assert.Equal(["978-0|Dune|1|note 1", "978-1|Emma|2|note 2", "978-2|Ulysses|3|note 3"], Rows(database, "Note"));

        Run(_work, "ef", "migrations", "add", "Change", "--no-build");
        var change = File.ReadAllText(Directory.GetFiles(Path.Combine(_work, "Migrations"), "*_Change.cs").Single());
        Assert.Contains("RenameColumn(", change);
        Assert.Contains("newName: \"Remark\"", change);
        Assert.Contains("CreateIndex(", change);
        Assert.Contains("AddPrimaryKey(", change);
        Assert.Contains("column: \"Isbn\"", change);

        Run(_work, "build");
        Assert.Contains("(Pending)", Run(_work, "ef", "migrations", "list", "--no-build"));
        var update = Run(_work, "ef", "database", "update", "--no-build");
        Assert.Contains("applied", update);
        Assert.DoesNotContain("(Pending)", Run(_work, "ef", "migrations", "list", "--no-build"));

        Assert.Equal(["978-0|Dune|1|note 1", "978-1|Emma|2|note 2", "978-2|Ulysses|3|note 3"], Rows(database, "Remark"));
        var entity = Catalog(database).Entities["EFCore.Lsm.Samples.Migrations.Book"];
        Assert.Equal(["Isbn"], entity.KeyParts.Select(k => entity.Properties.First(p => p.Id == k.PropertyId).Name));
        Assert.Equal(["IX_Books_Title"], entity.Indexes.Select(i => i.Name));

        // The application runs on the migrated database with the changed model.
        Assert.Equal(
            "978-0|Dune|1|note 1\n978-1|Emma|2|note 2\n978-2|Ulysses|3|note 3",
            Run(_work, "run", "--no-build").Trim().ReplaceLineEndings("\n"));

        // Back to Initial through the scaffolded Down: the key is Id again, the index gone, Remark is Note again.
        Assert.Contains("Reverting migration", Run(_work, "ef", "database", "update", "Initial", "--no-build"));
        Assert.Equal(["978-0|Dune|1|note 1", "978-1|Emma|2|note 2", "978-2|Ulysses|3|note 3"], Rows(database, "Note"));
        entity = Catalog(database).Entities["EFCore.Lsm.Samples.Migrations.Book"];
        Assert.Equal(["Id"], entity.KeyParts.Select(k => entity.Properties.First(p => p.Id == k.PropertyId).Name));
        Assert.Empty(entity.Indexes);
        Assert.Contains("(Pending)", Run(_work, "ef", "migrations", "list", "--no-build"));

        // The reverted migration can be removed: its files go and the snapshot is the Initial model's again.
        Run(_work, "ef", "migrations", "remove", "--no-build");
        Assert.Empty(Directory.GetFiles(Path.Combine(_work, "Migrations"), "*_Change.cs"));
        var snapshot = File.ReadAllText(Directory.GetFiles(Path.Combine(_work, "Migrations"), "*ModelSnapshot.cs").Single());
        Assert.Contains("\"Note\"", snapshot);
        Assert.DoesNotContain("\"Remark\"", snapshot);
    }

    /// <summary>The stored rows as Isbn|Title|Id|note, read through the catalog (no model needed), in key order.</summary>
    private static List<string> Rows(string database, string note)
    {
        LsmStorePoolEntries.Shared.CloseUnder(database);
        using var kv = new EngineKeyValueStoreFactory(database, 1 << 20, 1 << 20).Open();
        using var view = kv.OpenView();
        var catalog = LsmCatalog.Load(view);
        var entity = catalog.Entities["EFCore.Lsm.Samples.Migrations.Book"];
        var values = new StoredValues([]);
        uint Id(string name) => entity.FindProperty(name)!.Id;
        var prefix = CatalogKeys.KeyspacePrefix(entity.KeyspaceId);
        var rows = new List<string>();
        using var cursor = view.Scan(prefix, KeyRange.AfterParts(prefix));
        while (cursor.MoveNext())
        {
            var row = cursor.Value.ToArray();
            rows.Add($"{values.Read(row, entity, Id("Isbn"))}|{values.Read(row, entity, Id("Title"))}|{values.Read(row, entity, Id("Id"))}|"
                + values.Read(row, entity, Id(note)));
        }

        return [.. rows.Order(StringComparer.Ordinal)];
    }

    private static LsmCatalog Catalog(string database)
    {
        using var kv = new EngineKeyValueStoreFactory(database, 1 << 20, 1 << 20).Open();
        using var view = kv.OpenView();
        return LsmCatalog.Load(view);
    }

    private string Run(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LSM_SAMPLE_DB"] = Path.Combine(_work, "db");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(Guard), $"dotnet {string.Join(' ', arguments)} did not finish");
        var text = stdout.Result + stderr.Result;
        output.WriteLine($"$ dotnet {string.Join(' ', arguments)}\n{text}");
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{text}");
        return stdout.Result;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EFCore.Lsm.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (EFCore.Lsm.sln) is not above the test's folder.");
    }
}
