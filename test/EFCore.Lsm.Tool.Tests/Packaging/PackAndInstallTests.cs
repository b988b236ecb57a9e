using System.IO.Compression;
using System.Xml.Linq;
using EFCore.Lsm.Tool.Tests.TestUtilities;

namespace EFCore.Lsm.Tool.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: <c>dotnet pack</c> the engine, the provider and the tool into a folder, install the
/// tool from it into a temp tool path and run <c>lsm</c>, and build and run src/Samples/PackageSample against the
/// provider package from that folder as a package source. Each run packs a version of its own (0.1.0-test.*), so NuGet's
/// cache never serves an older build; the cache entries are removed afterwards.
/// </summary>
public sealed class PackAndInstallTests : IDisposable
{
    private static readonly string[] PackageIds = ["EFCore.Lsm.Engine", "EFCore.Lsm", "EFCore.Lsm.Tool"];

    private readonly TempFolder _folder = new();
    private readonly string _version = "0.1.0-test." + Guid.NewGuid().ToString("N")[..12];

    public void Dispose()
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in PackageIds)
        {
            var entry = Path.Combine(cache, id.ToLowerInvariant(), _version);
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
        }

        _folder.Dispose();
    }

    [Fact]
    public void Packed_packages_install_as_a_tool_and_restore_into_an_application()
    {
        var packages = Path.Combine(_folder.Path, "packages");
        foreach (var id in PackageIds)
        {
            // The projects were built with the tests (they are referenced), so packing reuses that build.
            var (exit, output) = DotnetCommand.Dotnet(
                "pack", Path.Combine("src", id, id + ".csproj"), "-c", DotnetCommand.Configuration, "--no-build",
                "-o", packages, "-p:Version=" + _version);
            Assert.True(exit == 0, $"dotnet pack {id} failed:\n{output}");
        }

        AssertLibraryPackage("EFCore.Lsm.Engine", "EFCore.Lsm.Engine.dll");
        var provider = AssertLibraryPackage("EFCore.Lsm", "EFCore.Lsm.dll");
        Assert.Contains(provider.Dependencies, d => d == ("EFCore.Lsm.Engine", _version));
        using (var tool = ZipFile.OpenRead(Path.Combine(packages, $"EFCore.Lsm.Tool.{_version}.nupkg")))
        {
            var settings = XDocument.Load(tool.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal)).Open());
            Assert.Equal("lsm", settings.Descendants("Command").Single().Attribute("Name")!.Value);
        }

        // The tool, from the local folder, into a tool path of its own; then lsm on an EF database.
        var tools = Path.Combine(_folder.Path, "tools");
        var install = DotnetCommand.Dotnet(
            "tool", "install", "EFCore.Lsm.Tool", "--version", _version, "--tool-path", tools, "--add-source", packages);
        Assert.True(install.ExitCode == 0, "dotnet tool install failed:\n" + install.Output);
        EfSampleDatabase.Create(_folder.DbPath);
        var tables = DotnetCommand.Run(Path.Combine(tools, "lsm"), ["tables", _folder.DbPath]);
        Assert.True(tables.ExitCode == 0, "lsm tables failed:\n" + tables.Output);
        Assert.Contains(EfSampleDatabase.BlogType, tables.Output);
        var get = DotnetCommand.Run(Path.Combine(tools, "lsm"), ["get", _folder.DbPath, "--entity", "Blog", "2", "--format", "json"]);
        Assert.True(get.ExitCode == 0, "lsm get failed:\n" + get.Output);
        Assert.Contains("\"Name\": \"Grace\"", get.Output);

        // An application outside the repository that references the provider package from the same folder.
        var sample = Path.Combine(_folder.Path, "sample");
        Directory.CreateDirectory(sample);
        var source = Path.Combine(DotnetCommand.RepositoryRoot, "src", "Samples", "PackageSample");
        foreach (var file in new[] { "PackageSample.csproj", "Program.cs" })
        {
            File.Copy(Path.Combine(source, file), Path.Combine(sample, file));
        }

        File.WriteAllText(Path.Combine(sample, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="efcore-lsm-test" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        var run = DotnetCommand.Dotnet(
            "run", "--project", Path.Combine(sample, "PackageSample.csproj"), "-c", "Release", "-p:EFCoreLsmVersion=" + _version,
            "--", Path.Combine(_folder.Path, "notes"));
        Assert.True(run.ExitCode == 0, "the package sample failed:\n" + run.Output);
        Assert.Contains("1 note(s); first: installed from a package", run.Output);
    }

    private (string Id, string Version)[] AssertLibraryPackageCore(string id, string assembly, out XElement metadata)
    {
        var path = Path.Combine(_folder.Path, "packages", $"{id}.{_version}.nupkg");
        Assert.True(File.Exists(Path.ChangeExtension(path, ".snupkg")), "no symbol package beside " + path);
        using var package = ZipFile.OpenRead(path);
        var names = package.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("README.md", names);
        Assert.Contains("lib/net10.0/" + assembly, names);
        Assert.Contains("lib/net10.0/" + Path.ChangeExtension(assembly, ".xml"), names);
        var nuspec = XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        XNamespace ns = nuspec.Root!.Name.Namespace;
        metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
        Assert.NotEmpty(metadata.Element(ns + "description")!.Value);
        Assert.Matches("^[0-9a-f]{40}$", metadata.Element(ns + "repository")!.Attribute("commit")!.Value);
        return [.. metadata.Descendants(ns + "dependency").Select(d => (d.Attribute("id")!.Value, d.Attribute("version")!.Value))];
    }

    private (string Id, (string Id, string Version)[] Dependencies) AssertLibraryPackage(string id, string assembly) =>
        (id, AssertLibraryPackageCore(id, assembly, out _));
}
