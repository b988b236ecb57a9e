using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Update;

namespace EFCore.Lsm.Update.Internal;

/// <summary>
/// Turns the change tracker's entries of one <c>SaveChanges</c> into row writes, validating every entry before anything
/// is checked or written: an entry that cannot be stored raises <see cref="DbUpdateException"/> naming it.
/// </summary>
internal static class RowWriteBuilder
{
    public static List<RowWrite> Build(IList<IUpdateEntry> entries, LsmStore store, bool sync)
    {
        var writes = new List<RowWrite>(entries.Count);
        var limits = store.KeyValueStore.Limits;
        using var buffer = new PooledByteBufferWriter();
        var ownerRewrites = OwnersOfOwnedEntries(entries);

        // Deletes first, then updates, then inserts: a save that deletes a row and inserts a new entity with the same key
        // must check the insert against the state after the delete.
        foreach (var state in (ReadOnlySpan<EntityState>)[EntityState.Deleted, EntityState.Modified, EntityState.Added])
        {
            foreach (var entry in entries)
            {
                if (entry.EntityState != state || entry.EntityType.IsOwned())
                {
                    continue;
                }

                if (entry.SharedIdentityEntry is not null && state == EntityState.Deleted)
                {
                    // The row is replaced by the entry it shares its identity with (the Added one), which writes it whole.
                    continue;
                }

                var write = BuildOne(entry, store, sync, buffer);
                CheckSize(write, limits, buffer);
                writes.Add(write);
            }

            if (state == EntityState.Modified && ownerRewrites is not null)
            {
                foreach (var owner in ownerRewrites)
                {
                    var write = BuildOwnerRewrite(owner, store, sync, buffer);
                    CheckSize(write, limits, buffer);
                    writes.Add(write);
                }
            }
        }

        return writes;
    }

    /// <summary>
    /// The owners to rewrite for the owned entries of a save: an owned entity is stored in its owner's row (docs/row_encoding.md,
    /// "Owned values"), so a change of one rewrites its root owner's row with every owned value as it is now. An owner the save
    /// writes anyway (added, modified, deleted) does that itself; one it does not otherwise change is listed here.
    /// </summary>
    private static List<IUpdateEntry>? OwnersOfOwnedEntries(IList<IUpdateEntry> entries)
    {
        List<IUpdateEntry>? owners = null;
        HashSet<IUpdateEntry>? seen = null;
        foreach (var entry in entries)
        {
            if (!entry.EntityType.IsOwned())
            {
                continue;
            }

            var owner = LsmOwnedEntries.RootOwner(entry);
            if (owner.EntityState == EntityState.Unchanged && (seen ??= new(ReferenceEqualityComparer.Instance)).Add(owner))
            {
                (owners ??= []).Add(owner);
            }
        }

        return owners;
    }

    /// <summary>The rewrite of an unchanged owner's row whose owned values changed: an update, its concurrency tokens checked.</summary>
    private static RowWrite BuildOwnerRewrite(IUpdateEntry owner, LsmStore store, bool sync, PooledByteBufferWriter buffer)
    {
        try
        {
            var mapping = store.GetMappingForWrite(owner.EntityType, sync);
            return new RowWrite(mapping.EncodeKey(owner, original: true), mapping.EncodeRow(owner, buffer), RowCheck.MustExist, owner, mapping);
        }
        catch (LsmInvalidEntityException e)
        {
            throw new DbUpdateException(e.Message, e, [owner]);
        }
    }

    private static RowWrite BuildOne(IUpdateEntry entry, LsmStore store, bool sync, PooledByteBufferWriter buffer)
    {
        try
        {
            var mapping = store.GetMappingForWrite(entry.EntityType, sync);
            if (entry.EntityState is EntityState.Added or EntityState.Modified)
            {
                foreach (var rowVersion in mapping.RowVersionProperties(entry.EntityType))
                {
                    entry.SetStoreGeneratedValue(rowVersion, NewRowVersion());
                }
            }

            switch (entry.EntityState)
            {
                case EntityState.Added:
                {
                    foreach (var defaulted in mapping.DefaultedProperties(entry.EntityType))
                    {
                        if (entry.IsStoreGenerated(defaulted.Property))
                        {
                            entry.SetStoreGeneratedValue(defaulted.Property, defaulted.MissingValue);
                        }
                    }

                    var key = mapping.EncodeKey(entry, original: false);
                    var replacing = entry.SharedIdentityEntry is not null;
                    var check = replacing ? RowCheck.MustExist : RowCheck.MustBeAbsent;
                    return new RowWrite(key, mapping.EncodeRow(entry, buffer), check, entry, mapping)
                    {
                        TokenEntry = entry.SharedIdentityEntry,
                        GeneratedKeyValues = GeneratedKeyValues(mapping, entry),
                    };
                }

                case EntityState.Modified:
                {
                    var key = mapping.EncodeKey(entry, original: true);
                    return new RowWrite(key, mapping.EncodeRow(entry, buffer), RowCheck.MustExist, entry, mapping);
                }

                case EntityState.Deleted:
                    return new RowWrite(mapping.EncodeKey(entry, original: true), null, RowCheck.MustExist, entry, mapping);
                default:
                    throw new InvalidOperationException($"An entry in state {entry.EntityState} cannot be saved.");
            }
        }
        catch (LsmInvalidEntityException e)
        {
            throw new DbUpdateException(e.Message, e, [entry]);
        }
    }

    /// <summary>
    /// A fresh row version (<see cref="LsmEntityMapping.RowVersionProperties"/>): the 16 bytes of a version 7 Guid, big-endian,
    /// so versions are unique and increase within a process.
    /// </summary>
    public static byte[] NewRowVersion()
    {
        var version = new byte[16];
        Guid.CreateVersion7().TryWriteBytes(version, bigEndian: true, out _);
        return version;
    }

    /// <summary>
    /// Refuses a row the store cannot hold before anything is written, naming the entity and the property that takes the
    /// most room (the one to shorten or to move elsewhere).
    /// </summary>
    private static void CheckSize(RowWrite write, LsmStoreLimits limits, PooledByteBufferWriter buffer)
    {
        if (write.Key.Length > limits.MaxKeyBytes)
        {
            throw new DbUpdateException(
                $"Cannot save the '{write.Mapping.EntityType.DisplayName()}' entity: its encoded key is {write.Key.Length} bytes, over the "
                + $"{limits.MaxKeyBytes}-byte limit of the store.",
                (Exception?)null,
                write.Entry is null ? [] : [write.Entry]);
        }

        if (write.Value is { } value && value.Length > limits.MaxValueBytes)
        {
            var (property, size) = write.Mapping.LargestProperty(write.Entry!, buffer);
            throw new DbUpdateException(
                $"Cannot save the '{write.Mapping.EntityType.DisplayName()}' entity: its row is {value.Length} bytes, over the "
                + $"{limits.MaxValueBytes}-byte limit of the store; its largest property is '{property.Name}' ({size} bytes).",
                (Exception?)null,
                write.Entry is null ? [] : [write.Entry]);
        }
    }

    private static List<(LsmEntityMapping.PropertyMapping, long)> GeneratedKeyValues(LsmEntityMapping mapping, IUpdateEntry entry)
    {
        var values = new List<(LsmEntityMapping.PropertyMapping, long)>();
        foreach (var key in mapping.GeneratedKeys)
        {
            if (ToInt64(entry.GetCurrentValue(key.Property)) is { } value)
            {
                values.Add((key, value));
            }
        }

        return values;
    }

    private static long? ToInt64(object? value) => value switch
    {
        null => null,
        ulong u => u > long.MaxValue ? null : (long)u,
        _ => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
    };
}
