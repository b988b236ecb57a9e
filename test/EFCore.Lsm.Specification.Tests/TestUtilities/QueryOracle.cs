using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.TestUtilities;

/// <summary>Where a query case reads its sets: a DbContext, or the seed lists (LINQ-to-objects).</summary>
public interface IQuerySource
{
    IQueryable<T> Set<T>()
        where T : class;

    /// <summary>Whether the source is a database (EF-only operators such as EF.Functions are available).</summary>
    bool IsDatabase { get; }
}

/// <summary>A DbContext as a query source.</summary>
public sealed class ContextSource(DbContext context) : IQuerySource
{
    public DbContext Context { get; } = context;

    public IQueryable<T> Set<T>()
        where T : class => Context.Set<T>();

    public bool IsDatabase => true;
}

/// <summary>In-memory lists as a query source, through LINQ-to-objects.</summary>
public sealed class ListSource(Func<Type, IQueryable> sets) : IQuerySource
{
    public IQueryable<T> Set<T>()
        where T : class => (IQueryable<T>)sets(typeof(T));

    public bool IsDatabase => false;
}

/// <summary>Where a case's expected result comes from.</summary>
public enum Oracle
{
    /// <summary>The same query through LINQ-to-objects over the seed lists (navigations fixed up).</summary>
    LinqToObjects,

    /// <summary>The same query on EF Core InMemory with the same seed (where LINQ-to-objects is ambiguous: null navigations).</summary>
    InMemory,

    /// <summary>An explicit expected query (for EF-only operators such as EF.Functions.Like or filtered includes).</summary>
    Explicit,
}

/// <summary>
/// One query of a corpus: it runs on EFCore.Lsm and on its oracle, and their results, described by
/// <see cref="ResultDescriber"/>, must be equal. Sequences compare in order when <see cref="Ordered"/>, as multisets
/// otherwise; nested collections always as multisets. <see cref="Navigations"/> lists the navigation paths the description
/// includes (an Include's); otherwise entities are described by their scalar properties.
/// </summary>
public sealed record QueryCase(string Family, string Name, Func<IQuerySource, object?> Run)
{
    public bool Ordered { get; init; }

    public Oracle Oracle { get; init; } = Oracle.LinqToObjects;

    public Func<IQuerySource, object?>? Expected { get; init; }

    public string[] Navigations { get; init; } = [];

    public override string ToString() => Family + ": " + Name;
}

/// <summary>
/// A deterministic text form of a query result: scalars in the invariant culture (floating point to 6 significant digits),
/// entities of the test models by their scalar properties (and the navigations asked for), anything else member by member.
/// </summary>
public static class ResultDescriber
{
    public static string Describe(object? value, bool ordered, string[] navigations, Func<Type, bool> isEntity)
    {
        var text = new StringBuilder();
        Append(text, value, ordered, navigations, isEntity, depth: 0);
        return text.ToString();
    }

    private static void Append(StringBuilder text, object? value, bool ordered, string[] navigations, Func<Type, bool> isEntity, int depth)
    {
        if (depth > 8)
        {
            text.Append("…");
            return;
        }

        switch (value)
        {
            case null:
                text.Append("null");
                return;
            case string s:
                text.Append('"').Append(s).Append('"');
                return;
            case byte[] bytes:
                text.Append("0x").Append(Convert.ToHexString(bytes));
                return;
            case float f:
                text.Append(f.ToString("G6", CultureInfo.InvariantCulture));
                return;
            case double d:
                text.Append(d.ToString("G6", CultureInfo.InvariantCulture));
                return;
            case decimal m:
                // 1.0 and 1.00 are equal values; sums of differently scaled values differ in scale only.
                text.Append((m / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture));
                return;
            case DateTime dt:
                text.Append(dt.ToString("O", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset dto:
                text.Append(dto.ToString("O", CultureInfo.InvariantCulture));
                return;
            case IFormattable formattable when value.GetType().IsPrimitive || value is Enum || value is Guid || value is TimeSpan
                || value is DateOnly || value is TimeOnly:
                text.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                return;
            case bool b:
                text.Append(b ? "true" : "false");
                return;
        }

        var type = value.GetType();
        // An array of entities has its element's namespace, so the test models' entity check would take it for one.
        if (value is IEnumerable sequence && (type.IsArray || !isEntity(type)))
        {
            var items = new List<string>();
            foreach (var item in sequence)
            {
                var itemText = new StringBuilder();
                Append(itemText, item, ordered: false, navigations, isEntity, depth + 1);
                items.Add(itemText.ToString());
            }

            if (!ordered)
            {
                items.Sort(StringComparer.Ordinal);
            }

            text.Append('[').AppendJoin(", ", items).Append(']');
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            Append(text, type.GetProperty("Key")!.GetValue(value), ordered, navigations, isEntity, depth + 1);
            text.Append(": ");
            Append(text, type.GetProperty("Value")!.GetValue(value), ordered, navigations, isEntity, depth + 1);
            return;
        }

        if (isEntity(type))
        {
            text.Append(type.Name).Append('{');
            var first = true;
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                if (property.GetIndexParameters().Length > 0 || !IsScalar(property.PropertyType))
                {
                    continue;
                }

                text.Append(first ? "" : ", ").Append(property.Name).Append('=');
                first = false;
                Append(text, property.GetValue(value), ordered: false, [], isEntity, depth + 1);
            }

            foreach (var path in navigations.Select(n => n.Split('.')).GroupBy(p => p[0]))
            {
                var navigation = type.GetProperty(path.Key);
                if (navigation is null)
                {
                    continue;
                }

                text.Append(", ").Append(path.Key).Append('=');
                var rest = path.Where(p => p.Length > 1).Select(p => string.Join('.', p.Skip(1))).ToArray();
                Append(text, navigation.GetValue(value), ordered: false, rest, isEntity, depth + 1);
            }

            text.Append('}');
            return;
        }

        // Anonymous types, tuples, groupings, records: member by member.
        if (value is IGrouping<object, object> || type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IGrouping<,>)))
        {
            text.Append("group ");
            Append(text, type.GetProperty("Key")!.GetValue(value), ordered, navigations, isEntity, depth + 1);
            text.Append(": ");
            var items = new List<string>();
            foreach (var item in (IEnumerable)value)
            {
                var itemText = new StringBuilder();
                Append(itemText, item, ordered: false, navigations, isEntity, depth + 1);
                items.Add(itemText.ToString());
            }

            items.Sort(StringComparer.Ordinal);
            text.Append('[').AppendJoin(", ", items).Append(']');
            return;
        }

        text.Append('{');
        var firstMember = true;
        foreach (var member in Members(type))
        {
            text.Append(firstMember ? "" : ", ").Append(member.Name).Append('=');
            firstMember = false;
            Append(text, member.Value(value), ordered: false, navigations, isEntity, depth + 1);
        }

        text.Append('}');
    }

    private static IEnumerable<(string Name, Func<object, object?> Value)> Members(Type type)
    {
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            yield return (field.Name, field.GetValue);
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                yield return (property.Name, property.GetValue);
            }
        }
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime)
            || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(byte[]) || type == typeof(TimeSpan)
            || type == typeof(DateOnly) || type == typeof(TimeOnly);
    }
}

/// <summary>
/// Runs a corpus of <see cref="QueryCase"/>s: each on a fresh context of the provider (so no tracked entity leaks into
/// another case's navigations) and on its oracle, twice — the second time after the store was closed and reopened, with
/// no-tracking queries. Returns the failures as text.
/// </summary>
public static class CorpusRunner
{
    public static List<string> Run(
        IReadOnlyList<QueryCase> cases,
        Func<DbContext> createProviderContext,
        Func<DbContext>? createInMemoryContext,
        IQuerySource linqToObjects,
        Action reopen,
        Func<Type, bool> isEntity)
    {
        var failures = new List<string>();
        var expected = new Dictionary<QueryCase, string>();
        foreach (var queryCase in cases)
        {
            try
            {
                expected[queryCase] = Describe(queryCase, ExpectedResult(queryCase, createInMemoryContext, linqToObjects), isEntity);
            }
            catch (Exception e)
            {
                failures.Add($"{queryCase}: the oracle failed: {e.GetType().Name}: {e.Message}");
            }
        }

        for (var pass = 0; pass < 2; pass++)
        {
            if (pass == 1)
            {
                reopen();
            }

            foreach (var queryCase in cases)
            {
                if (!expected.TryGetValue(queryCase, out var want))
                {
                    continue;
                }

                string got;
                try
                {
                    using var context = createProviderContext();
                    if (pass == 1)
                    {
                        context.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
                    }

                    got = Describe(queryCase, queryCase.Run(new ContextSource(context)), isEntity);
                }
                catch (Exception e)
                {
                    failures.Add($"pass {pass} {queryCase}: {e.GetType().Name}: {FirstLines(e.Message)}");
                    continue;
                }

                if (got != want)
                {
                    failures.Add($"pass {pass} {queryCase}\n  expected {Truncate(want)}\n  actual   {Truncate(got)}");
                }
            }
        }

        return failures;
    }

    private static object? ExpectedResult(QueryCase queryCase, Func<DbContext>? createInMemoryContext, IQuerySource linqToObjects)
    {
        switch (queryCase.Oracle)
        {
            case Oracle.InMemory:
                using (var context = createInMemoryContext!())
                {
                    return Materialize(queryCase.Run(new ContextSource(context)));
                }

            case Oracle.Explicit:
                return Materialize(queryCase.Expected!(linqToObjects));
            default:
                return Materialize(queryCase.Run(linqToObjects));
        }
    }

    /// <summary>Results are described after their context is gone: lists are already materialized by the cases.</summary>
    private static object? Materialize(object? result) => result;

    private static string Describe(QueryCase queryCase, object? result, Func<Type, bool> isEntity) =>
        ResultDescriber.Describe(result, queryCase.Ordered, queryCase.Navigations, isEntity);

    private static string FirstLines(string message)
    {
        var lines = message.Split('\n');
        return lines.Length <= 6 ? message : string.Join('\n', lines.Take(6)) + " …";
    }

    private static string Truncate(string text) => text.Length <= 600 ? text : text[..600] + "…";
}
