using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Foreign keys at commit (docs/referential_integrity.md), as a database with <c>foreign_keys</c> on keeps them whatever
/// the change tracker has loaded. Two passes over a save's plan:
/// <list type="number">
/// <item>Every principal row the save deletes applies each referencing foreign key's delete behaviour to the dependents
/// that still name it once the save's own writes are taken into account (EF already applied its behaviour to the tracked
/// ones, which the save writes): <c>Cascade</c> deletes them — and their dependents in turn —, <c>SetNull</c> nulls their
/// foreign key, every other behaviour refuses the delete, as the database constraint EF maps it to does
/// (<c>Restrict</c>, <c>NoAction</c>, and the client-side <c>ClientSetNull</c>, <c>ClientCascade</c>, <c>ClientNoAction</c>).
/// The dependents are found through the foreign key's index at the save's view, and the batch requires that index range
/// unchanged since the view.</item>
/// <item>Every row the save leaves whose foreign key is not null and changed (or was not read) must name an existing
/// principal: one the save writes, or else one whose row key (or alternate key entry) the batch requires present.</item>
/// </list>
/// </summary>
/// <remarks>
/// Why the two conditions together are exact against concurrent saves. A dependent D inserted (or re-pointed) by one save
/// and its principal P deleted by another: D's save requires P's key present at its commit; P's delete read P's dependents
/// at its view v and requires their index range unchanged since v at its commit. Whichever commits second fails: if D
/// commits first, it writes an entry into the range P's delete read, so P's range condition fails and the delete is planned
/// again at a newer view, where it sees D and cascades to it (or refuses); if P commits first, D's presence condition fails
/// and D's save is refused. Neither condition alone is enough: without the range, a D committed after v but before P's
/// commit would be left orphaned; without the presence, a D committed after P would be. A dependent updated without
/// changing its foreign key is covered by its own row condition: a delete that cascades to it (or sets it null) requires
/// the row unchanged since it read it, and an update racing with that delete requires the row present (or unchanged).
/// </remarks>
internal static class LsmReferentialIntegrity
{
    /// <summary>Applies both passes to <paramref name="plan"/>: delete behaviours (adding writes), then principal presence.</summary>
    public static void Apply(LsmSavePlan plan)
    {
        var handled = new HashSet<byte[]>(ByteArrayEqualityComparer.Instance);
        var wholeKeyspacesRequired = new HashSet<LsmForeignKeyMapping>();

        // Writes grows while this runs: a cascaded delete is itself a principal delete whose dependents come next. The
        // principal deletes are taken a generation at a time (the writes so far, then the cascades they added, ...), so
        // that the dependents of every principal of one generation are found through a foreign key in one sweep of its
        // index (LsmDependentSweep) instead of one scan per principal.
        for (var start = 0; start < plan.Writes.Count;)
        {
            var end = plan.Writes.Count;
            var principals = new List<(RowWrite Write, byte[] Before)>();
            for (var i = start; i < end; i++)
            {
                var write = plan.Writes[i];
                if (write.Value is null
                    && write.Mapping.ReferencingForeignKeys.Count > 0
                    && plan.Rows[write.Key] is { Value: null, Before: { } before }
                    && handled.Add(write.Key))
                {
                    principals.Add((write, before));
                }
            }

            foreach (var foreignKey in ForeignKeysOf(principals))
            {
                ApplyDeleteBehavior(plan, foreignKey, principals, wholeKeyspacesRequired);
            }

            start = end;
        }

        RequirePrincipals(plan);
    }

    /// <summary>The foreign keys that reference the entity types of <paramref name="principals"/>, each once, in order.</summary>
    private static List<LsmForeignKeyMapping> ForeignKeysOf(List<(RowWrite Write, byte[] Before)> principals)
    {
        var foreignKeys = new List<LsmForeignKeyMapping>();
        var seen = new HashSet<LsmEntityMapping>();
        foreach (var (write, _) in principals)
        {
            if (seen.Add(write.Mapping))
            {
                foreach (var foreignKey in write.Mapping.ReferencingForeignKeys)
                {
                    if (!foreignKeys.Contains(foreignKey))
                    {
                        foreignKeys.Add(foreignKey);
                    }
                }
            }
        }

        return foreignKeys;
    }

    /// <summary>
    /// Applies the delete behaviour of <paramref name="foreignKey"/> to the dependents of each of <paramref name="principals"/>
    /// that it references (those of its principal entity type), in the order of <paramref name="principals"/>.
    /// </summary>
    private static void ApplyDeleteBehavior(
        LsmSavePlan plan,
        LsmForeignKeyMapping foreignKey,
        List<(RowWrite Write, byte[] Before)> principals,
        HashSet<LsmForeignKeyMapping> wholeKeyspacesRequired)
    {
        var targets = new List<LsmDependentSweep.Target>();
        var targetPrincipals = new List<RowWrite>();
        foreach (var (principal, principalRow) in principals)
        {
            if (!principal.Mapping.ReferencingForeignKeys.Contains(foreignKey)
                || !LsmDependentSweep.TryTarget(foreignKey, principalRow, out var target))
            {
                continue;
            }

            // Phantom protection: a dependent that appears in the range after the view (inserted, or re-pointed to this
            // principal) makes the batch fail, and the save is planned again seeing it (see the remarks of the class).
            // Without an index or key prefix every principal's range is the whole dependent keyspace: required once (a
            // store that checks a range key by key, as etcd does, would otherwise compare the keyspace once per principal).
            if (foreignKey.Access != LsmDependentAccess.FullScan || wholeKeyspacesRequired.Add(foreignKey))
            {
                plan.Require(
                    LsmConditionKind.RangeUnchangedSince,
                    target.Lower,
                    new LsmSaveGuard(LsmGuardKind.Dependents, principal, plan.Retryable) { ForeignKey = foreignKey },
                    plan.GuardVersion,
                    target.Upper);
            }

            targets.Add(target);
            targetPrincipals.Add(principal);
        }

        if (targets.Count == 0)
        {
            return;
        }

        var found = plan.Swept?.For(foreignKey, targets) ?? LsmDependentSweep.Find(plan.View, foreignKey, targets);
        for (var t = 0; t < targets.Count; t++)
        {
            if (found[t] is { } entries)
            {
                ApplyDeleteBehavior(plan, foreignKey, targets[t].PrincipalKey!, targetPrincipals[t], entries);
            }
        }
    }

    private static void ApplyDeleteBehavior(
        LsmSavePlan plan, LsmForeignKeyMapping foreignKey, byte[] principalKey, RowWrite principal, List<(byte[] Key, byte[]? Row)> found)
    {
        var dependents = Dependents(plan, foreignKey, principalKey, found);
        if (dependents.Count == 0)
        {
            return;
        }

        var behavior = foreignKey.ForeignKey.DeleteBehavior;
        if (behavior is not (DeleteBehavior.Cascade or DeleteBehavior.SetNull))
        {
            throw LsmSaveErrors.DeleteRestricted(foreignKey, principal, dependents.Count, null);
        }

        var cause = $"that deleting the '{foreignKey.Principal.EntityType.DisplayName()}' "
            + (behavior == DeleteBehavior.Cascade ? "cascades to" : "sets null in");
        if (behavior == DeleteBehavior.SetNull)
        {
            foreach (var column in foreignKey.DependentColumns)
            {
                if (!column.Property.IsNullable || column.Property.IsPrimaryKey())
                {
                    throw LsmSaveErrors.CannotSetNull(foreignKey, principal, column.Property.Name, null);
                }
            }
        }

        foreach (var (rowKey, row) in dependents)
        {
            var value = behavior == DeleteBehavior.Cascade ? null : WithNullForeignKey(foreignKey, row, plan);
            plan.Add(new RowWrite(rowKey, value, RowCheck.ReadAtView, entry: null, foreignKey.Dependent)
            {
                OldValue = row,
                SinceVersion = plan.GuardVersion,
                Cause = cause,
            });
        }
    }

    /// <summary>
    /// Of the rows <paramref name="found"/> in a principal's dependent range at the view, those that name
    /// <paramref name="principalKey"/> as the save leaves them: a row the save wrote counts with its new value (deleted, or
    /// re-pointed elsewhere, it is not a dependent any more); every other row as the view has it.
    /// </summary>
    private static List<(byte[] Key, byte[] Row)> Dependents(
        LsmSavePlan plan, LsmForeignKeyMapping foreignKey, byte[] principalKey, List<(byte[] Key, byte[]? Row)> found)
    {
        var dependents = new List<(byte[] Key, byte[] Row)>(found.Count);
        foreach (var (key, stored) in found)
        {
            var row = plan.Rows.TryGetValue(key, out var pending) ? pending.Value : stored ?? plan.View.Get(key);
            if (row is not null && foreignKey.PrincipalKeyOf(row) is { } named && named.AsSpan().SequenceEqual(principalKey))
            {
                dependents.Add((key, row));
            }
        }

        return dependents;
    }

    /// <summary>The dependent row with its foreign key properties null and its row versions renewed (it is updated).</summary>
    private static byte[] WithNullForeignKey(LsmForeignKeyMapping foreignKey, byte[] row, LsmSavePlan plan)
    {
        var mapping = foreignKey.Dependent;
        var changes = new List<(LsmEntityMapping.PropertyMapping, object?)>();
        foreach (var column in foreignKey.DependentColumns)
        {
            changes.Add((column, null));
        }

        foreach (var rowVersion in mapping.RowVersionsIn(row))
        {
            changes.Add((rowVersion, RowWriteBuilder.NewRowVersion()));
        }

        return mapping.RewriteRow(row, changes, plan.Scratch);
    }

    /// <summary>
    /// Requires the principal of every row the save leaves with a non-null foreign key that it set (or may have set: the
    /// row was not read): one the save writes must be left present, any other must be present at commit.
    /// </summary>
    private static void RequirePrincipals(LsmSavePlan plan)
    {
        var required = new HashSet<byte[]>(ByteArrayEqualityComparer.Instance);
        foreach (var (_, pending) in plan.Rows)
        {
            if (pending.Value is not { } row)
            {
                continue;
            }

            foreach (var foreignKey in pending.Write.Mapping.ForeignKeys)
            {
                if (foreignKey.PrincipalKeyOf(row) is not { } principalKey)
                {
                    continue;
                }

                if (pending.BeforeKnown
                    && pending.Before is { } before
                    && foreignKey.PrincipalKeyOf(before) is { } previous
                    && previous.AsSpan().SequenceEqual(principalKey))
                {
                    // The reference did not change: the row's own condition covers it (see the remarks of the class).
                    continue;
                }

                var written = foreignKey.PrincipalKeyIndex is null
                    ? plan.Rows.TryGetValue(principalKey, out var principal) ? principal.Value is not null : (bool?)null
                    : plan.PutsEntry(principalKey) ? true : plan.DeletesEntry(principalKey) ? false : null;
                if (written == false)
                {
                    throw LsmSaveErrors.ForeignKeyViolation(foreignKey, pending.Write, row, null);
                }

                if (written is null && required.Add(principalKey))
                {
                    plan.Require(
                        LsmConditionKind.Present,
                        principalKey,
                        new LsmSaveGuard(LsmGuardKind.ForeignKey, pending.Write, Retryable: false) { ForeignKey = foreignKey, Row = row });
                }
            }
        }
    }
}
