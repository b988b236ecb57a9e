using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EFCore.Lsm.FunctionalTests.Readme;

/// <summary>
/// Every <c>csharp</c> block of the README compiles against the provider, the engine, EF Core and OpenTelemetry, each block
/// as a program of its own (as if it were Program.cs with the SDK's implicit usings); blocks other than the quick start
/// may use the quick start's types.
/// </summary>
public sealed partial class ReadmeCodeTests
{
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal))
            .Select(path => MetadataReference.CreateFromFile(path))]);

    public static TheoryData<int> Blocks()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < CodeBlocks().Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void The_readme_starts_with_the_set_up_commands_and_a_short_quick_start()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Readme", "README.md"));
        var headings = Regex.Matches(readme, "^## (.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.StartsWith("Set up", headings[0]);
        Assert.Equal("Quick start", headings[1]);
        var quickStart = CodeBlocks()[0];
        Assert.InRange(quickStart.Split('\n').Count(l => !string.IsNullOrWhiteSpace(l)), 5, 14);
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void The_code_block_compiles(int index)
    {
        var blocks = CodeBlocks();
        var code = blocks[index];
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        List<SyntaxTree> trees = [CSharpSyntaxTree.ParseText(ImplicitUsings, options), CSharpSyntaxTree.ParseText(code, options)];
        if (index > 0)
        {
            trees.Add(QuickStartTypes(blocks[0], options));
        }

        var compilation = CSharpCompilation.Create(
            "ReadmeBlock" + index,
            trees,
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(result.Success, $"README block {index} does not compile:\n{string.Join('\n', errors)}\n---\n{code}");
    }

    /// <summary>The type declarations of the quick start (with its usings), for the other blocks.</summary>
    private static SyntaxTree QuickStartTypes(string quickStart, CSharpParseOptions options)
    {
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(quickStart, options).GetRoot();
        var types = root.Members.Where(m => m is not GlobalStatementSyntax);
        var unit = SyntaxFactory.CompilationUnit().WithUsings(root.Usings).WithMembers(SyntaxFactory.List(types));
        return CSharpSyntaxTree.ParseText(unit.NormalizeWhitespace().ToFullString(), options);
    }

    private static List<string> CodeBlocks()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Readme", "README.md"));
        return [.. CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value)];
    }

    [GeneratedRegex("^```csharp\\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
