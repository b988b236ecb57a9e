using System.Globalization;
using EFCore.Lsm.Metadata.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// The exceptions a save raises, each naming what was refused and why: EF's <see cref="DbUpdateException"/> for a
/// constraint (key, unique index, foreign key, delete behaviour) and <see cref="DbUpdateConcurrencyException"/> for a row
/// that changed or vanished, with the entries concerned (none for rows no entry asked for: cascades, ExecuteUpdate).
/// </summary>
internal static class LsmSaveErrors
{
    public static DbUpdateException AlreadyExists(RowWrite write, Exception? inner) =>
        new(
            $"Cannot insert the '{write.Mapping.EntityType.DisplayName()}' entity: a row with the same key ({KeyNames(write)}) already exists.",
            inner,
            Entries(write));

    // As EF's other providers report it: the row the update or delete expected is gone.
    public static DbUpdateConcurrencyException Missing(RowWrite write, Exception? inner) =>
        new(
            $"Cannot {Verb(write)} {Subject(write)}: its row does not exist (it was deleted, or never saved). Reload the entity and retry.",
            inner,
            Entries(write));

    public static DbUpdateConcurrencyException TokenChanged(RowWrite write, Exception? inner) =>
        new(
            $"Cannot {Verb(write)} {Subject(write)}: its concurrency token changed since it was read. Reload the entity and retry.",
            inner,
            Entries(write));

    public static DbUpdateConcurrencyException TransactionConflict(RowWrite write, Exception? inner) =>
        new(
            $"The transaction cannot commit: the '{write.Mapping.EntityType.DisplayName()}' row it writes was changed by "
            + "another commit after the transaction started.",
            inner,
            Entries(write));

    public static DbUpdateConcurrencyException KeptChanging(string what, Exception? inner, IReadOnlyList<IUpdateEntry> entries) =>
        new($"The save could not commit: {what} kept being changed by other writers. Retry the save.", inner, entries);

    public static DbUpdateException UniqueViolation(
        LsmIndexMapping index, object?[] values, IReadOnlyList<IUpdateEntry> entries, Exception? inner) =>
        new(
            $"Cannot save the '{index.Entity.EntityType.DisplayName()}' entity: the unique index '{index.Name}' already has a row with "
            + $"({string.Join(", ", index.Columns.Select(c => c.Property.Name))}) = ({string.Join(", ", values.Select(Format))}).",
            inner,
            entries);

    /// <summary>A dependent names a principal that does not exist (or that the same save deletes).</summary>
    public static DbUpdateException ForeignKeyViolation(LsmForeignKeyMapping foreignKey, RowWrite write, byte[] row, Exception? inner) =>
        new(
            $"Cannot save {Subject(write)}: its foreign key {foreignKey.Name} is "
            + $"({string.Join(", ", foreignKey.ForeignKeyValues(row).Select(Format))}), and no '{foreignKey.Principal.EntityType.DisplayName()}' "
            + "has that key. Save the principal first, or set the foreign key to an existing one (or to null when it is optional).",
            inner,
            Entries(write));

    /// <summary>Deleting a principal whose untracked dependents' delete behaviour leaves the database to refuse.</summary>
    public static DbUpdateException DeleteRestricted(LsmForeignKeyMapping foreignKey, RowWrite principal, int dependents, Exception? inner) =>
        new(
            $"Cannot delete {Subject(principal)}: {dependents} '{foreignKey.Dependent.EntityType.DisplayName()}' "
            + $"row{(dependents == 1 ? "" : "s")} reference{(dependents == 1 ? "s" : "")} it through the foreign key {foreignKey.Name}, "
            + $"whose delete behavior is {foreignKey.ForeignKey.DeleteBehavior}: the database neither deletes nor changes dependents the "
            + "context does not track. Delete or reassign them first (or load them, so the context applies the delete behavior), or "
            + "configure DeleteBehavior.Cascade or DeleteBehavior.SetNull.",
            inner,
            Entries(principal));

    /// <summary>SetNull on a dependent whose foreign key cannot hold null.</summary>
    public static DbUpdateException CannotSetNull(LsmForeignKeyMapping foreignKey, RowWrite principal, string property, Exception? inner) =>
        new(
            $"Cannot delete {Subject(principal)}: the delete behavior of the foreign key {foreignKey.Name} is SetNull, but "
            + $"'{foreignKey.Dependent.EntityType.DisplayName()}.{property}' cannot be null, so its dependents cannot be kept.",
            inner,
            Entries(principal));

    public static IReadOnlyList<IUpdateEntry> Entries(RowWrite? write) => write?.Entry is null ? [] : [write.Entry];

    public static string Format(object? value) =>
        value switch
        {
            null => "null",
            string s => "'" + s + "'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    /// <summary>"the 'Blog' entity", or for a row no entry asked to write, "the 'Post' row (Id = 5) that … cascades to".</summary>
    private static string Subject(RowWrite write)
    {
        var name = write.Mapping.EntityType.DisplayName();
        if (write.Entry is not null || (write.Value ?? write.OldValue) is not { } row)
        {
            return $"the '{name}' entity";
        }

        var values = write.Mapping.ReadProperties(row, write.Mapping.KeyProperties);
        var key = string.Join(", ", write.Mapping.KeyProperties.Select((p, i) => $"{p.Property.Name} = {Format(values[i])}"));
        return $"the '{name}' row ({key}){(write.Cause is null ? "" : " " + write.Cause)}";
    }

    private static string Verb(RowWrite write) => write.Value is null ? "delete" : "update";

    private static string KeyNames(RowWrite write) => string.Join(", ", write.Mapping.KeyProperties.Select(p => p.Property.Name));
}
