using EFCore.Lsm.Storage;
using EFCore.Lsm.Metadata;
using EFCore.Lsm.KeyEncoding.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.Metadata.Internal;

/// <summary>
/// The catalog of one database (docs/catalog.md): per entity type a stable keyspace id, stable property ids and the key
/// schema. Loaded from a view of the store; changed only by <see cref="PlanRegistration"/>, a conditional batch that
/// requires the records it replaces to be unchanged since the view it was loaded from, and <see cref="Apply"/> once that
/// batch committed, so the in-memory copy always equals what is committed.
/// </summary>
internal sealed class LsmCatalog
{
    /// <summary>The catalog format this code writes. Written to disk: a reader refuses a newer version.</summary>
    public const int FormatVersion = 1;

    // Field numbers of the header map. Written to disk: do not change.
    private const uint FormatVersionField = 1;
    private const uint NextKeyspaceIdField = 2;

    private readonly Dictionary<string, CatalogEntity> _entities;

    private LsmCatalog(bool exists, long nextKeyspaceId, Dictionary<string, CatalogEntity> entities, long version)
    {
        Exists = exists;
        NextKeyspaceId = nextKeyspaceId;
        _entities = entities;
        Version = version;
    }

    /// <summary>The store version the catalog was read at; changes are committed on condition that it is still current.</summary>
    public long Version { get; private set; }

    /// <summary>Whether the database has a catalog header, that is, whether it has been created.</summary>
    public bool Exists { get; private set; }

    /// <summary>The keyspace id the next new entity type gets; ids are never reused.</summary>
    public long NextKeyspaceId { get; private set; }

    public IReadOnlyDictionary<string, CatalogEntity> Entities => _entities;

    public static LsmCatalog Empty(long version) => new(exists: false, CatalogKeys.CatalogKeyspaceId + 1, [], version);

    /// <summary>Reads the catalog as <paramref name="view"/> sees it.</summary>
    public static LsmCatalog Load(ILsmReadView view)
    {
        var header = view.Get(CatalogKeys.Header());
        if (header is null)
        {
            return Empty(view.Version);
        }

        var nextKeyspaceId = DecodeHeader(header);
        var entities = new Dictionary<string, CatalogEntity>(StringComparer.Ordinal);
        var prefix = CatalogKeys.KindPrefix(CatalogKeys.EntityKind);
        using var cursor = view.Scan(prefix, KeyRange.PrefixSuccessor(prefix)!);
        while (cursor.MoveNext())
        {
            var reader = new KeyReader(cursor.Key[prefix.Length..]);
            var name = reader.ReadString();
            var entity = CatalogEntity.Decode(name, cursor.Value);
            if (entity.KeyspaceId >= nextKeyspaceId)
            {
                throw new LsmStoredDataException(
                    $"The catalog is damaged: entity type '{name}' has keyspace id {entity.KeyspaceId}, not below the next id {nextKeyspaceId}.");
            }

            entities.Add(name, entity);
        }

        return new LsmCatalog(exists: true, nextKeyspaceId, entities, view.Version);
    }

    /// <summary>
    /// The catalog records that must be written so every entity type of <paramref name="model"/> has a keyspace and every
    /// property an id: new entity types and properties get new ids. Empty when the catalog already matches. Nothing stored
    /// is given up (docs/catalog.md, "Schema drift"): a property the model no longer has keeps its id and its values (a save
    /// carries them over, and a model that has it again reads them); a changed provider type keeps the stored type when every
    /// stored value converts to the new one without loss (<see cref="StoredTypeConversion"/>), and is refused otherwise.
    /// Refused too, with the migration to write named: a changed key schema, and what looks like a rename of an entity type or
    /// property whose keyspace has rows (<paramref name="hasRows"/>; null treats every keyspace as empty).
    /// The differences that are tolerated are listed in <see cref="CatalogChanges.Drift"/>.
    /// </summary>
    public CatalogChanges PlanRegistration(IModel model, Func<CatalogEntity, bool>? hasRows = null)
    {
        var changes = new CatalogChanges(Exists ? null : NextKeyspaceId, []);
        var nextKeyspaceId = NextKeyspaceId;
        var modelNames = model.GetEntityTypes().Where(HasKeyspace).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var missingEntities = _entities.Values.Where(e => !modelNames.Contains(e.Name)).ToList();
        foreach (var entityType in model.GetEntityTypes().Where(HasKeyspace))
        {
            // A hierarchy is one record, its root's: every type's properties, by their stored names (LsmRowLayout).
            var layout = LsmRowLayout.For(entityType);
            var keyProperties = entityType.FindPrimaryKey()!.Properties;
            foreach (var derived in entityType.GetDerivedTypes())
            {
                if (_entities.ContainsKey(derived.Name))
                {
                    throw Refusal(
                        SchemaDriftKind.ModelRefused,
                        derived.Name,
                        null,
                        null,
                        $"The EFCore.Lsm database stores '{derived.DisplayName()}' in a keyspace of its own, as a version of the "
                        + $"provider without table-per-hierarchy mapping wrote it; its rows are not in the keyspace of "
                        + $"'{entityType.DisplayName()}'. Copy them into a new database with this version.");
                }
            }

            _entities.TryGetValue(entityType.Name, out var stored);
            if (stored is null)
            {
                CheckNotRenamed(entityType, layout, missingEntities, hasRows);
            }

            var keyspaceId = stored?.KeyspaceId ?? nextKeyspaceId++;
            var nextPropertyId = stored?.NextPropertyId ?? 1;
            var changed = stored is null;
            var tableName = LsmTableNames.Of(entityType);
            changed |= stored is not null && stored.TableName != tableName;

            var byName = stored?.Properties.Where(p => !p.Retired).ToDictionary(p => p.Name, StringComparer.Ordinal)
                ?? new Dictionary<string, CatalogProperty>(StringComparer.Ordinal);
            var assigned = new Dictionary<string, CatalogProperty>(StringComparer.Ordinal);
            var added = new List<(IProperty Property, string Name)>();
            foreach (var (property, name) in layout.StoredProperties)
            {
                var providerType = ProviderTypeName(property);
                if (byName.Remove(name, out var existing))
                {
                    if (existing.ProviderType != providerType
                        && !SameRepresentation(ProviderTypes.Resolve(existing.ProviderType, model), ProviderType(property)))
                    {
                        CheckConvertible(entityType, property, existing, model);
                        var column = LsmTableNames.ColumnOf(property);
                        changes.Drift.Add(new SchemaDriftEntry(
                            SchemaDriftKind.PropertyTypeConverted,
                            entityType.Name,
                            name,
                            column,
                            $"The property '{entityType.DisplayName()}.{column}' is stored as {existing.ProviderType} and the model "
                            + $"maps it to {providerType}: stored values are converted when read, and saved values must fit "
                            + $"{existing.ProviderType} until a migration alters the column (migrationBuilder.AlterColumn)."));
                    }

                    assigned[name] = existing;
                    continue;
                }

                assigned[name] = new CatalogProperty(nextPropertyId++, name, providerType, Retired: false);
                added.Add((property, name));
                changed = true;
            }

            // Owned navigations (docs/row_encoding.md, "Owned values"): an id each, under which the nested value is stored.
            foreach (var (navigation, name) in layout.OwnedNavigationNames)
            {
                var providerType = navigation.IsCollection ? CatalogProperty.OwnedCollectionType : CatalogProperty.OwnedReferenceType;
                if (byName.Remove(name, out var existing))
                {
                    if (existing.ProviderType != providerType)
                    {
                        throw Refusal(
                            SchemaDriftKind.ModelRefused,
                            entityType.Name,
                            name,
                            null,
                            $"The owned navigation '{entityType.DisplayName()}.{name}' is stored as {existing.ProviderType} in the "
                            + $"EFCore.Lsm database and the model maps it as {providerType}; changing between an owned reference, an "
                            + "owned collection and a property is not supported. Give the new navigation another name.");
                    }

                    assigned[name] = existing;
                    continue;
                }

                assigned[name] = new CatalogProperty(nextPropertyId++, name, providerType, Retired: false);
                changed = true;
            }

            // Complex collections (docs/row_encoding.md, "Complex collections"): an id for the collection, under which its array
            // of element maps is stored, and one per member of its element type, the keys of those maps.
            foreach (var collection in layout.ComplexCollections)
            {
                var names = collection.Members.Select(m => (m.Path, Type: ProviderTypeName(m.Member)))
                    .Prepend((Path: collection.StoredName, Type: CatalogProperty.ComplexCollectionType));
                foreach (var (name, providerType) in names)
                {
                    if (byName.Remove(name, out var existing))
                    {
                        if (existing.ProviderType != providerType)
                        {
                            throw Refusal(
                                SchemaDriftKind.ModelRefused,
                                entityType.Name,
                                name,
                                null,
                                $"The complex collection member '{collection.Property.DeclaringType.DisplayName()}.{name}' is stored as {existing.ProviderType} "
                                + $"in the EFCore.Lsm database and the model maps it as {providerType}; EFCore.Lsm does not convert the "
                                + "members of stored complex collection elements. Give the new member another name.");
                        }

                        assigned[name] = existing;
                        continue;
                    }

                    assigned[name] = new CatalogProperty(nextPropertyId++, name, providerType, Retired: false);
                    changed = true;
                }
            }

            if (stored is not null && byName.Count > 0)
            {
                // Properties the model no longer has keep their ids and values; a look-alike new property with rows present is
                // refused as a probable rename, which only a migration can express.
                var rows = hasRows?.Invoke(stored) ?? false;
                foreach (var missing in byName.Values)
                {
                    if (rows && added.FirstOrDefault(p => ProviderTypeName(p.Property) == missing.ProviderType) is { Property: not null } look)
                    {
                        throw PropertyRenamed(entityType, missing, look.Property);
                    }

                    // A member of complex collection elements is no column: no column operation reaches it.
                    var column = missing.ComplexCollectionName is null ? ColumnOfStoredName(missing.Name) : null;
                    changes.Drift.Add(new SchemaDriftEntry(
                        SchemaDriftKind.PropertyNotInModel,
                        entityType.Name,
                        missing.Name,
                        column,
                        missing.ComplexCollectionName is { } collectionName
                            ? ElementMemberNotInModel(entityType, missing, layout.ComplexCollections.Any(c => c.StoredName == collectionName))
                            : $"The property '{entityType.DisplayName()}.{column}' ({missing.ProviderType}) is in the EFCore.Lsm database "
                            + "but not in the model: its stored values are kept (saves carry them over) and come back if the model has it "
                            + $"again. To remove them, add a migration with migrationBuilder.DropColumn(name: \"{column}\", "
                            + $"table: \"{tableName}\")."));
                }
            }

            var catalogProperties = new List<CatalogProperty>();
            if (stored is not null)
            {
                catalogProperties.AddRange(stored.Properties.Where(p => p.Retired || byName.ContainsKey(p.Name)));
            }

            catalogProperties.AddRange(assigned.Values);
            catalogProperties.Sort((a, b) => a.Id.CompareTo(b.Id));

            var keyParts = keyProperties
                .Select(p => new CatalogKeyPart(
                    assigned[layout.StoredNameOf(p)].Id, assigned[layout.StoredNameOf(p)].ProviderType, Descending: false))
                .ToList();
            if (stored is not null && !stored.KeyParts.SequenceEqual(keyParts))
            {
                throw Refusal(
                    SchemaDriftKind.ModelRefused,
                    entityType.Name,
                    null,
                    null,
                    $"The primary key of entity type '{entityType.DisplayName()}' is ({Describe(keyParts, catalogProperties)}) "
                    + $"in the model but ({Describe(stored.KeyParts, stored.Properties)}) in the EFCore.Lsm database. Changing a key "
                    + "re-keys every row: add a migration (dotnet ef migrations add, or migrationBuilder.DropPrimaryKey and "
                    + $"AddPrimaryKey on table \"{tableName}\") and apply it with Database.Migrate().");
            }

            var indexes = new List<CatalogIndex>();
            var storedIndexes = stored?.Indexes.ToDictionary(i => i.Name, StringComparer.Ordinal)
                ?? new Dictionary<string, CatalogIndex>(StringComparer.Ordinal);
            foreach (var (name, indexProperties, descending, unique) in IndexDefinitions(entityType))
            {
                var definition = new CatalogIndex(
                    name,
                    KeyspaceId: 0,
                    [.. indexProperties.Select(p => assigned[layout.StoredNameOf((IPropertyBase)p)].Id)],
                    descending,
                    unique,
                    CatalogIndexState.Ready);
                if (storedIndexes.Remove(definition.Name, out var existingIndex))
                {
                    if (existingIndex.SameDefinition(definition))
                    {
                        indexes.Add(existingIndex);
                        continue;
                    }

                    changes.DroppedIndexes.Add(existingIndex);
                }
                else if (storedIndexes.Values.FirstOrDefault(i => i.SameDefinition(definition)) is { } renamed)
                {
                    // The same entries under another name (a migration's index name, or one from before indexes were named
                    // after tables): keep the keyspace, take the model's name.
                    storedIndexes.Remove(renamed.Name);
                    indexes.Add(renamed with { Name = definition.Name });
                    changed = true;
                    continue;
                }

                // A new (or redefined) index gets a fresh keyspace. Only a new entity type has no rows the index could miss;
                // on an existing one the index starts as Building and is filled from the rows before queries use it.
                indexes.Add(definition with
                {
                    KeyspaceId = nextKeyspaceId++,
                    State = stored is null ? CatalogIndexState.Ready : CatalogIndexState.Building,
                });
                changed = true;
            }

            if (storedIndexes.Count > 0)
            {
                changes.DroppedIndexes.AddRange(storedIndexes.Values);
                changed = true;
            }

            if (changed)
            {
                changes.Entities.Add(new CatalogEntity(
                    entityType.Name, keyspaceId, RowFormat.CurrentVersion, nextPropertyId, catalogProperties, keyParts)
                {
                    Indexes = indexes,
                    TableName = tableName,
                    Defaults = stored?.Defaults ?? [],
                });
            }
        }

        foreach (var missing in missingEntities)
        {
            changes.Drift.Add(new SchemaDriftEntry(
                SchemaDriftKind.EntityTypeNotInModel,
                missing.Name,
                null,
                null,
                $"The entity type '{missing.Name}' is in the EFCore.Lsm database but not in the model: its rows are kept and come "
                + "back if the model has it again. To remove them, add a migration with migrationBuilder.DropTable(name: "
                + $"\"{missing.DisplayTableName}\")."));
        }

        return changes with { NextKeyspaceId = nextKeyspaceId != NextKeyspaceId || !Exists ? nextKeyspaceId : null };
    }

    /// <summary>
    /// The drift message of a member of a complex collection's elements that the model no longer has (docs/row_encoding.md,
    /// "Complex collections"): its values stay in the element maps, which no column operation reaches, and while the model
    /// still has the collection (<paramref name="collectionInModel"/>) saves are refused, since they rewrite the elements whole.
    /// </summary>
    private static string ElementMemberNotInModel(IEntityType entityType, CatalogProperty missing, bool collectionInModel) =>
        $"The member '{entityType.DisplayName()}.{missing.Name}' ({missing.ProviderType}) of the elements of a complex collection is in "
        + "the EFCore.Lsm database but not in the model: its stored values are kept inside the collection's value in each row and "
        + "come back if the model has it again. "
        + (collectionInModel
            ? "Saves of these rows are refused until then, since a save rewrites the elements whole and would lose them. "
            : "Saves carry the collection's stored value over. ")
        + "Migrations do not remove members of complex collection elements: keep the member in the element type.";

    /// <summary>
    /// Refuses a new entity type that looks like a stored one renamed: the stored one is gone from the model, has rows, has
    /// the same key (property names and types), and at least half of its other properties are in the new type by name and type.
    /// Reading the new one would find no rows while the old ones sit under the old name.
    /// </summary>
    private static void CheckNotRenamed(
        IEntityType entityType, LsmRowLayout layout, List<CatalogEntity> missingEntities, Func<CatalogEntity, bool>? hasRows)
    {
        if (hasRows is null || missingEntities.Count == 0)
        {
            return;
        }

        var key = entityType.FindPrimaryKey()!.Properties.Select(p => (layout.StoredNameOf(p), ProviderTypeName(p))).ToList();
        var shape = layout.StoredProperties.Select(p => (p.Name, ProviderTypeName(p.Property))).ToHashSet();
        foreach (var missing in missingEntities)
        {
            var storedKey = missing.KeyParts
                .Select(k => (missing.Properties.FirstOrDefault(p => p.Id == k.PropertyId)?.Name ?? "", k.ProviderType))
                .ToList();
            var others = missing.Properties.Where(p => !p.Retired && missing.KeyParts.All(k => k.PropertyId != p.Id)).ToList();
            var alike = others.Count(p => shape.Contains((p.Name, p.ProviderType)));
            if (storedKey.SequenceEqual(key) && alike * 2 >= others.Count && hasRows(missing))
            {
                var newTable = LsmTableNames.Of(entityType);
                throw Refusal(
                    SchemaDriftKind.RenameRefused,
                    missing.Name,
                    null,
                    null,
                    $"The entity type '{entityType.DisplayName()}' is new to the EFCore.Lsm database, and '{missing.Name}', which has rows "
                    + $"with the same key shape, is no longer in the model. If it was renamed, add a migration with "
                    + $"migrationBuilder.RenameTable(name: \"{missing.DisplayTableName}\", newName: \"{newTable}\") and apply it with "
                    + "Database.Migrate(); if it was removed, add a migration with migrationBuilder.DropTable(name: "
                    + $"\"{missing.DisplayTableName}\").");
            }
        }
    }

    private static InvalidOperationException PropertyRenamed(IEntityType entityType, CatalogProperty missing, IProperty look)
    {
        var table = LsmTableNames.Of(entityType);
        var column = ColumnOfStoredName(missing.Name);
        var newColumn = LsmTableNames.ColumnOf(look);
        return Refusal(
            SchemaDriftKind.RenameRefused,
            entityType.Name,
            missing.Name,
            column,
            $"The property '{look.DeclaringType.DisplayName()}.{look.Name}' (column '{newColumn}') is new to the EFCore.Lsm database, "
            + $"and '{column}' ({missing.ProviderType}), which has stored values, is no longer in the model. If '{column}' was renamed, "
            + $"add a migration with migrationBuilder.RenameColumn(name: \"{column}\", table: \"{table}\", newName: "
            + $"\"{newColumn}\") and apply it with Database.Migrate(); if it was removed, add a migration with "
            + $"migrationBuilder.DropColumn(name: \"{column}\", table: \"{table}\").");
    }

    /// <summary>
    /// The key of <see cref="Exception.Data"/> under which a refusal of the model carries its <see cref="SchemaDriftEntry"/>, so
    /// that the store can record it (docs/catalog.md, "Drift records") and the caller still gets EF's exception type.
    /// </summary>
    public const string RefusalDataKey = "EFCore.Lsm.SchemaDrift";

    private static InvalidOperationException Refusal(
        SchemaDriftKind kind, string entityType, string? property, string? column, string message)
    {
        var exception = new InvalidOperationException(message);
        exception.Data[RefusalDataKey] = new SchemaDriftEntry(kind, entityType, property, column, message);
        return exception;
    }

    /// <summary>
    /// The column a stored property name is named by in migrations when the model has no property for it: its path from the
    /// row joined with '_' (<c>Sender/Code</c> and <c>Size.Width</c> are <c>Sender_Code</c> and <c>Size_Width</c>), as
    /// <see cref="LsmTableNames.ColumnOf"/> names the properties a model has.
    /// </summary>
    public static string ColumnOfStoredName(string storedName) =>
        storedName.Replace(LsmRowLayout.PathSeparator, '_').Replace('.', '_');

    /// <summary>An enum and its underlying integer type store the same values: no conversion to report.</summary>
    private static bool SameRepresentation(Type? stored, Type model) =>
        stored is not null
        && (stored.IsEnum ? Enum.GetUnderlyingType(stored) : stored) == (model.IsEnum ? Enum.GetUnderlyingType(model) : model);

    private static void CheckConvertible(IEntityType entityType, IProperty property, CatalogProperty stored, IModel model)
    {
        var storedType = ProviderTypes.Resolve(stored.ProviderType, model);
        var modelType = ProviderType(property);
        if (storedType is null || !StoredTypeConversion.IsLossless(storedType, modelType))
        {
            throw Refusal(
                SchemaDriftKind.ModelRefused,
                entityType.Name,
                stored.Name,
                LsmTableNames.ColumnOf(property),
                $"The property '{property.DeclaringType.DisplayName()}.{property.Name}' is stored as {stored.ProviderType} in the EFCore.Lsm "
                + $"database, but the model maps it to {modelType.FullName}, and not every stored value converts to that type without "
                + "loss. Add a migration that converts the stored values (migrationBuilder.AlterColumn on table "
                + $"\"{LsmTableNames.Of(entityType)}\", column \"{LsmTableNames.ColumnOf(property)}\") and apply it with Database.Migrate(), or map "
                + $"the property to {stored.ProviderType} again.");
        }
    }

    /// <summary>
    /// Adds the records of <paramref name="changes"/> to <paramref name="batch"/>, on condition that no schema record (the
    /// header and every entity record) changed since this catalog was read: another writer's registration makes the batch
    /// fail instead of being overwritten, and a commit that succeeds leaves the in-memory catalog equal to the stored one.
    /// </summary>
    public void AddToBatch(CatalogChanges changes, LsmConditionalBatch batch)
    {
        if (changes.NextKeyspaceId is { } next)
        {
            batch.Put(CatalogKeys.Header(), EncodeHeader(next));
        }

        foreach (var entity in changes.Entities)
        {
            batch.Put(CatalogKeys.Entity(entity.Name), entity.Encode());
        }

        batch.RequireRangeUnchangedSince(CatalogKeys.SchemaLowerBound, CatalogKeys.SchemaUpperBound, Version);
    }

    /// <summary>
    /// Takes <paramref name="changes"/>, committed at <paramref name="committedVersion"/>, into the in-memory catalog, which
    /// then equals the stored one as of that version.
    /// </summary>
    public void Apply(CatalogChanges changes, long committedVersion)
    {
        Version = Math.Max(Version, committedVersion);
        if (changes.NextKeyspaceId is { } next)
        {
            Exists = true;
            NextKeyspaceId = next;
        }

        foreach (var entity in changes.Entities)
        {
            _entities[entity.Name] = entity;
        }
    }

    /// <summary>
    /// Whether <paramref name="entityType"/> has a keyspace of its own: a hierarchy's root with a primary key. Derived types
    /// share their root's (TPH); keyless types store nothing.
    /// </summary>
    public static bool HasKeyspace(IReadOnlyEntityType entityType) =>
        entityType.BaseType is null && !entityType.IsOwned() && entityType.FindPrimaryKey() is not null;

    /// <summary>
    /// The indexes the provider keeps for the rows of <paramref name="entityType"/>'s hierarchy (its root's keyspace): every EF
    /// index of its types, and one unique index per alternate key that no unique ascending index over the same properties
    /// already enforces (named by <see cref="KeyIndexName"/>).
    /// An alternate key is a unique constraint, and a foreign key to it finds its principal through that index's entry.
    /// </summary>
    public static IEnumerable<(string Name, IReadOnlyList<IReadOnlyProperty> Properties, bool[] Descending, bool Unique)> IndexDefinitions(
        IReadOnlyEntityType entityType)
    {
        foreach (var index in entityType.GetDerivedTypesInclusive().SelectMany(t => t.GetDeclaredIndexes()))
        {
            yield return (IndexName(index), index.Properties, [.. index.Properties.Select((_, i) => IsDescending(index, i))], index.IsUnique);
        }

        foreach (var key in entityType.GetDerivedTypesInclusive().SelectMany(t => t.GetDeclaredKeys()))
        {
            if (!key.IsPrimaryKey() && FindEnforcingIndex(entityType, key) is null)
            {
                yield return (KeyIndexName(key), key.Properties, new bool[key.Properties.Count], true);
            }
        }
    }

    /// <summary>A unique EF index with ascending parts over exactly the properties of <paramref name="key"/>, if there is one.</summary>
    public static IReadOnlyIndex? FindEnforcingIndex(IReadOnlyEntityType entityType, IReadOnlyKey key) =>
        entityType.GetRootType().GetDerivedTypesInclusive().SelectMany(t => t.GetDeclaredIndexes()).FirstOrDefault(index =>
            index.IsUnique
            && index.Properties.SequenceEqual(key.Properties)
            && Enumerable.Range(0, index.Properties.Count).All(i => !IsDescending(index, i)));

    /// <summary>The name of the index that enforces alternate key <paramref name="key"/>: <c>AK_</c> + the entity type's short name + its property names.</summary>
    public static string KeyIndexName(IReadOnlyKey key) =>
        "AK_" + key.DeclaringEntityType.ShortName() + "_" + string.Join("_", key.Properties.Select(p => p.Name));

    /// <summary>
    /// The name an index is recorded under: EF's name for it, or, as EF's relational conventions name unnamed indexes (and so
    /// as migrations name them), <c>IX_</c> + the table name + the column names.
    /// </summary>
    public static string IndexName(IReadOnlyIndex index) =>
        index.Name ?? "IX_" + LsmTableNames.Of(index.DeclaringEntityType) + "_" + string.Join("_", index.Properties.Select(LsmTableNames.ColumnOf));

    /// <summary>Whether part <paramref name="i"/> of <paramref name="index"/> is descending (EF: null = none, empty = all).</summary>
    public static bool IsDescending(IReadOnlyIndex index, int i)
    {
        // A runtime index keeps the flags in the provider's annotation (LsmRuntimeModelConvention); a mutable one in EF's.
        var flags = index is RuntimeIndex
            ? (IReadOnlyList<bool>?)index.FindAnnotation(LsmAnnotationNames.IndexDescending)?.Value
            : index.IsDescending;
        return flags is not null && (flags.Count == 0 || flags[i]);
    }

    /// <summary>
    /// The entity record <paramref name="entityName"/> with <paramref name="index"/> replaced by its completed form: the change
    /// that makes a built index usable, committed like any other catalog change.
    /// </summary>
    public CatalogChanges PlanIndexReady(string entityName, CatalogIndex index)
    {
        var entity = _entities[entityName];
        var indexes = entity.Indexes.Select(i => i.Name == index.Name ? i with { State = CatalogIndexState.Ready } : i).ToList();
        return new CatalogChanges(null, [entity with { Indexes = indexes }]);
    }

    public static string ProviderTypeName(IReadOnlyProperty property) => ProviderType(property).FullName!;

    /// <summary>The CLR type a property's values are stored as: after value conversion, nullable unwrapped.</summary>
    public static Type ProviderType(IReadOnlyProperty property)
    {
        var type = property.GetValueConverter()?.ProviderClrType
            ?? property.GetTypeMapping().Converter?.ProviderClrType
            ?? property.ClrType;
        return Nullable.GetUnderlyingType(type) ?? type;
    }

    internal static byte[] EncodeHeader(long nextKeyspaceId)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(2);
        writer.Write(FormatVersionField);
        writer.Write(FormatVersion);
        writer.Write(NextKeyspaceIdField);
        writer.Write(nextKeyspaceId);
        writer.Flush();
        return buffer.ToArray();
    }

    private static long DecodeHeader(ReadOnlySpan<byte> value)
    {
        var header = CatalogRecordReader.Read(
            value,
            CatalogRecordReader.Header,
            new HeaderFields(),
            static (ref MessagePackReader reader, uint field, HeaderFields header) =>
            {
                switch (field)
                {
                    case FormatVersionField:
                        header.Version = reader.ReadInt32();
                        return true;
                    case NextKeyspaceIdField:
                        header.Next = reader.ReadInt64();
                        return true;
                    default:
                        return false;
                }
            });

        if (header.Version > FormatVersion)
        {
            throw new LsmStoredDataException(
                $"The catalog (keyspace 0) of the EFCore.Lsm database has format version {header.Version} in "
                + $"{CatalogRecordReader.Header}; this provider reads version {FormatVersion} and older. Use a newer EFCore.Lsm.");
        }

        if (header.Version < 1 || header.Next <= CatalogKeys.CatalogKeyspaceId)
        {
            throw CatalogRecordReader.Damaged(CatalogRecordReader.Header, "is malformed (no format version or next keyspace id)");
        }

        return header.Next;
    }

    private sealed class HeaderFields
    {
        public int Version { get; set; } = -1;

        public long Next { get; set; } = -1;
    }

    private static string Describe(IEnumerable<CatalogKeyPart> parts, IEnumerable<CatalogProperty> properties) =>
        string.Join(", ", parts.Select(part =>
            $"{properties.FirstOrDefault(p => p.Id == part.PropertyId)?.Name ?? "#" + part.PropertyId} {part.ProviderType}"));
}

/// <summary>
/// Catalog records to write in one batch: a new header (when the next keyspace id moves) and changed entity records; and the
/// indexes the changed records no longer list, whose entries can be deleted once the batch committed.
/// </summary>
internal sealed record CatalogChanges(long? NextKeyspaceId, List<CatalogEntity> Entities)
{
    public List<CatalogIndex> DroppedIndexes { get; } = [];

    /// <summary>Differences between the stored schema and the model that registration tolerates (logged as warnings).</summary>
    public List<SchemaDriftEntry> Drift { get; } = [];

    public bool IsEmpty => NextKeyspaceId is null && Entities.Count == 0;
}
