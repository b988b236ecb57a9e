using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Storage.Internal;

/// <summary>
/// Checks, at one view, that a model's stored data keeps every constraint the provider maintains: each entity type's
/// indexes agree with its rows (<see cref="LsmIndexVerifier"/>), and every non-null foreign key of every row names an
/// existing principal. What the tests use after every save of a random workload and after a crash.
/// </summary>
internal static class LsmIntegrityVerifier
{
    /// <summary>The disagreements found (empty when the data is consistent), each naming the index or foreign key and the row.</summary>
    public static List<string> Verify(ILsmReadView view, IReadOnlyDictionary<IEntityType, LsmEntityMapping> mappings)
    {
        var problems = new List<string>();
        // A hierarchy's one mapping is listed under each of its types.
        foreach (var mapping in mappings.Values.Distinct())
        {
            problems.AddRange(LsmIndexVerifier.Verify(view, mapping));
            foreach (var foreignKey in mapping.ForeignKeys)
            {
                VerifyForeignKey(view, foreignKey, problems);
            }
        }

        return problems;
    }

    private static void VerifyForeignKey(ILsmReadView view, LsmForeignKeyMapping foreignKey, List<string> problems)
    {
        var dependent = foreignKey.Dependent;
        using var rows = view.Scan(dependent.KeyspaceLowerBound, dependent.KeyspaceUpperBound);
        while (rows.MoveNext())
        {
            if (foreignKey.PrincipalKeyOf(rows.Value) is { } principalKey && view.Get(principalKey) is null)
            {
                var values = foreignKey.ForeignKeyValues(rows.Value);
                problems.Add(
                    $"{foreignKey.Name}: the {dependent.EntityType.DisplayName()} row 0x{Convert.ToHexString(rows.Key)} names "
                    + $"({string.Join(", ", values)}), which no {foreignKey.Principal.EntityType.DisplayName()} has");
            }
        }
    }
}
