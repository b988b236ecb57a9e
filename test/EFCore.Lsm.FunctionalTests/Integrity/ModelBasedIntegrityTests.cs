using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Integrity;

/// <summary>
/// Random adds, updates and deletes (through SaveChanges with untracked entities, and through ExecuteUpdate/ExecuteDelete)
/// of entities with unique and non-unique indexes and foreign keys with Cascade, SetNull and Restrict, checked against an
/// in-memory model of what the database must hold: after every save the outcome (saved or refused) and every row must
/// match the model, and the integrity verifier must find every index entry pointing to a live row, every row with its
/// entries and every foreign key naming a principal; the database is reopened from disk every 40 saves.
/// </summary>
public sealed class ModelBasedIntegrityTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public sealed class Owner
    {
        public int Id { get; set; }

        public string Email { get; set; } = "";

        public string? Region { get; set; }
    }

    public sealed class Vet
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    public sealed class Pet
    {
        public int Id { get; set; }

        public int OwnerId { get; set; }

        public int? VetId { get; set; }

        public string? Tag { get; set; }

        public int Age { get; set; }
    }

    public sealed class Toy
    {
        public int Id { get; set; }

        public int? PetId { get; set; }

        public string Kind { get; set; } = "";
    }

    public sealed class PetContext(DbContextOptions options) : DbContext(options)
    {
        public DbSet<Owner> Owners => Set<Owner>();

        public DbSet<Vet> Vets => Set<Vet>();

        public DbSet<Pet> Pets => Set<Pet>();

        public DbSet<Toy> Toys => Set<Toy>();

        public static PetContext Create(string path) =>
            new(new DbContextOptionsBuilder<PetContext>().UseTestStore(path, o => o.SyncWrites(false).WriteBufferSize(64 * 1024)).Options);

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            foreach (var type in new[] { typeof(Owner), typeof(Vet), typeof(Pet), typeof(Toy) })
            {
                modelBuilder.Entity(type).Property("Id").ValueGeneratedNever();
            }

            modelBuilder.Entity<Owner>().HasIndex(o => o.Email).IsUnique();
            modelBuilder.Entity<Owner>().HasIndex(o => o.Region);
            modelBuilder.Entity<Pet>().HasIndex(p => p.Tag).IsUnique();
            modelBuilder.Entity<Pet>().HasIndex(p => new { p.Age, p.Tag }).IsDescending(true, false);
            modelBuilder.Entity<Pet>().HasOne<Owner>().WithMany().HasForeignKey(p => p.OwnerId).OnDelete(DeleteBehavior.Cascade);
            modelBuilder.Entity<Pet>().HasOne<Vet>().WithMany().HasForeignKey(p => p.VetId).OnDelete(DeleteBehavior.Restrict);
            modelBuilder.Entity<Toy>().HasOne<Pet>().WithMany().HasForeignKey(t => t.PetId).OnDelete(DeleteBehavior.SetNull);
            modelBuilder.Entity<Toy>().HasIndex(t => t.Kind);
        }
    }

    /// <summary>What the database must hold.</summary>
    private sealed class Model
    {
        public Dictionary<int, Owner> Owners { get; private set; } = [];

        public Dictionary<int, Vet> Vets { get; private set; } = [];

        public Dictionary<int, Pet> Pets { get; private set; } = [];

        public Dictionary<int, Toy> Toys { get; private set; } = [];

        public Model Clone() => new()
        {
            Owners = Owners.ToDictionary(p => p.Key, p => new Owner { Id = p.Value.Id, Email = p.Value.Email, Region = p.Value.Region }),
            Vets = Vets.ToDictionary(p => p.Key, p => new Vet { Id = p.Value.Id, Name = p.Value.Name }),
            Pets = Pets.ToDictionary(p => p.Key, p => new Pet { Id = p.Value.Id, OwnerId = p.Value.OwnerId, VetId = p.Value.VetId, Tag = p.Value.Tag, Age = p.Value.Age }),
            Toys = Toys.ToDictionary(p => p.Key, p => new Toy { Id = p.Value.Id, PetId = p.Value.PetId, Kind = p.Value.Kind }),
        };

        /// <summary>Deletes an owner as the database does: its pets cascade, their toys are set null.</summary>
        public void DeleteOwner(int id)
        {
            Owners.Remove(id);
            foreach (var pet in Pets.Values.Where(p => p.OwnerId == id).ToList())
            {
                DeletePet(pet.Id);
            }
        }

        public void DeletePet(int id)
        {
            Pets.Remove(id);
            foreach (var toy in Toys.Values.Where(t => t.PetId == id))
            {
                toy.PetId = null;
            }
        }

        /// <summary>Whether every constraint holds (unique values, foreign keys).</summary>
        public bool Valid() =>
            Owners.Values.Select(o => o.Email).Distinct().Count() == Owners.Count
            && Pets.Values.Where(p => p.Tag is not null).Select(p => p.Tag).Distinct().Count() == Pets.Values.Count(p => p.Tag is not null)
            && Pets.Values.All(p => Owners.ContainsKey(p.OwnerId) && (p.VetId is null || Vets.ContainsKey(p.VetId.Value)))
            && Toys.Values.All(t => t.PetId is null || Pets.ContainsKey(t.PetId.Value));

        public string Dump() =>
            string.Join("\n", Owners.Values.OrderBy(o => o.Id).Select(o => $"owner {o.Id} {o.Email} {o.Region ?? "-"}"))
            + "\n" + string.Join("\n", Vets.Values.OrderBy(v => v.Id).Select(v => $"vet {v.Id}"))
            + "\n" + string.Join("\n", Pets.Values.OrderBy(p => p.Id).Select(p => $"pet {p.Id} o={p.OwnerId} v={p.VetId?.ToString() ?? "-"} {p.Tag ?? "-"} {p.Age}"))
            + "\n" + string.Join("\n", Toys.Values.OrderBy(t => t.Id).Select(t => $"toy {t.Id} p={t.PetId?.ToString() ?? "-"} {t.Kind}"));

        public static string Dump(PetContext context)
        {
            var model = new Model
            {
                Owners = context.Owners.AsNoTracking().ToDictionary(o => o.Id),
                Vets = context.Vets.AsNoTracking().ToDictionary(v => v.Id),
                Pets = context.Pets.AsNoTracking().ToDictionary(p => p.Id),
                Toys = context.Toys.AsNoTracking().ToDictionary(t => t.Id),
            };
            return model.Dump();
        }
    }

    [Fact]
    public void Random_saves_keep_every_index_and_foreign_key_equal_to_the_model()
    {
        // CI: 400 saves on each of two seeds; LSM_INTEGRITY_SAVES sets more (see the README's Reliability section).
        var saves = int.TryParse(Environment.GetEnvironmentVariable("LSM_INTEGRITY_SAVES"), out var n) && n > 0 ? n : 400;
        foreach (var seed in new[] { 11, 12 })
        {
            Run(seed, saves);
        }
    }

    private void Run(int seed, int saves)
    {
        var random = new Random(seed);
        var path = _temp.Db("model" + seed);
        var model = new Model();
        var refused = 0;
        var context = PetContext.Create(path);
        try
        {
            context.Database.EnsureCreated();
            for (var save = 0; save < saves; save++)
            {
                if (save > 0 && save % 40 == 0)
                {
                    // From disk: the store leaves the pool and is recovered from its log and tables.
                    context.Dispose();
                    Assert.True(TestStore.Close(path));
                    context = PetContext.Create(path);
                }

                context.ChangeTracker.Clear();
                var expected = model.Clone();
                var (description, bulk) = Step(random, context, expected);
                var expectRefused = !expected.Valid();
                var wasRefused = bulk is { } ran ? ran.Refused : TrySave(context);
                if (bulk is { Refused: false, Count: var count, Expected: var expectedCount })
                {
                    Assert.True(count == expectedCount, $"seed {seed} save {save} ({description}): {count} rows, expected {expectedCount}");
                }

                Assert.True(expectRefused == wasRefused, $"seed {seed} save {save} ({description}): expected {(expectRefused ? "refused" : "saved")}");
                if (!wasRefused)
                {
                    model = expected;
                }
                else
                {
                    refused++;
                }

                context.ChangeTracker.Clear();
                Assert.True(model.Dump() == Model.Dump(context), $"seed {seed} save {save} ({description}):\n{model.Dump()}\n---\n{Model.Dump(context)}");
                Assert.Empty(Problems(context));
            }
        }
        finally
        {
            context.Dispose();
        }

        output.WriteLine($"seed {seed}: {saves} saves, {refused} refused; {model.Owners.Count} owners, {model.Pets.Count} pets, {model.Toys.Count} toys");
    }

    private static bool TrySave(PetContext context)
    {
        try
        {
            context.SaveChanges();
            return false;
        }
        catch (DbUpdateException)
        {
            return true;
        }
    }

    /// <summary>How a bulk operation ran: refused, or the rows it reported and the rows the model selected.</summary>
    private sealed record BulkRun(bool Refused, int Count, int Expected);

    /// <summary>
    /// Stages one random change in <paramref name="context"/> — or runs it, for a bulk operation (its outcome is returned)
    /// — and applies to <paramref name="model"/> what the database must then hold.
    /// </summary>
    private static (string Description, BulkRun? Bulk) Step(Random random, PetContext context, Model model)
    {
        int Pick(int max) => random.Next(max);
        string Email() => "e" + Pick(100);
        string? Tag() => Pick(3) == 0 ? null : "t" + Pick(40);
        int? Existing<T>(Dictionary<int, T> rows) => rows.Count == 0 ? null : rows.Keys.ElementAt(Pick(rows.Count));

        switch (Pick(15))
        {
            case 0 or 1 or 2 or 3:
            {
                var owner = new Owner { Id = Pick(60), Email = Email(), Region = Pick(3) == 0 ? null : "r" + Pick(4) };
                context.Owners.Add(owner);
                var taken = !model.Owners.TryAdd(owner.Id, owner);

                // Pets saved with their owner in the same save.
                for (var i = Pick(3); i > 0; i--)
                {
                    var pet = new Pet { Id = 1000 + Pick(200), OwnerId = owner.Id, Tag = Tag(), Age = Pick(15) };
                    context.Pets.Add(pet);
                    taken |= !model.Pets.TryAdd(pet.Id, pet);
                }

                return (taken ? Refuse(model, $"insert owner {owner.Id} with pets, a key taken") : $"insert owner {owner.Id} with pets", null);
            }

            case 4:
            {
                var vet = new Vet { Id = Pick(10), Name = "v" };
                context.Vets.Add(vet);
                return (model.Vets.TryAdd(vet.Id, vet) ? $"insert vet {vet.Id}" : Refuse(model, "insert a vet with a taken key"), null);
            }

            case 5 or 6 or 7:
            {
                // Sometimes naming no owner or vet.
                var owner = Pick(5) == 0 ? 500 + Pick(10) : Existing(model.Owners) ?? 0;
                var pet = new Pet { Id = 1000 + Pick(200), OwnerId = owner, VetId = Pick(2) == 0 ? null : Pick(12), Tag = Tag(), Age = Pick(15) };
                context.Pets.Add(pet);
                return (model.Pets.TryAdd(pet.Id, pet) ? $"insert pet {pet.Id}" : Refuse(model, "insert a pet with a taken key"), null);
            }

            case 8:
            {
                var toy = new Toy { Id = Pick(300), PetId = Pick(4) == 0 ? null : Pick(5) == 0 ? 9999 : Existing(model.Pets), Kind = "k" + Pick(5) };
                context.Toys.Add(toy);
                return (model.Toys.TryAdd(toy.Id, toy) ? $"insert toy {toy.Id}" : Refuse(model, "insert a toy with a taken key"), null);
            }

            case 9:
            {
                // Update an owner's indexed columns, untracked (every property written).
                if (Existing(model.Owners) is not { } id)
                {
                    return ("nothing", null);
                }

                var owner = new Owner { Id = id, Email = Email(), Region = Pick(2) == 0 ? null : "r" + Pick(4) };
                context.Owners.Update(owner);
                model.Owners[id] = owner;
                return ($"update owner {id}", null);
            }

            case 10:
            {
                if (Existing(model.Pets) is not { } id)
                {
                    return ("nothing", null);
                }

                var pet = new Pet
                {
                    Id = id,
                    OwnerId = Pick(4) == 0 ? (Existing(model.Owners) ?? 0) : model.Pets[id].OwnerId,
                    VetId = Pick(3) == 0 ? Pick(12) : model.Pets[id].VetId,
                    Tag = Tag(),
                    Age = Pick(15),
                };
                context.Pets.Update(pet);
                model.Pets[id] = pet;
                return ($"update pet {id}", null);
            }

            case 11:
            {
                // Delete an owner whose pets are not loaded: they cascade, their toys are set null.
                if (Existing(model.Owners) is not { } id)
                {
                    return ("nothing", null);
                }

                context.Owners.Remove(new Owner { Id = id });
                model.DeleteOwner(id);
                return ($"delete owner {id}", null);
            }

            case 12:
            {
                // Delete a vet: refused while pets name it (Restrict).
                if (Existing(model.Vets) is not { } id)
                {
                    return ("nothing", null);
                }

                context.Vets.Remove(new Vet { Id = id });
                model.Vets.Remove(id);
                return ($"delete vet {id}", null);
            }

            case 13:
            {
                var age = Pick(15);
                var tag = Pick(2) == 0 ? null : "t" + Pick(40);
                var selected = model.Pets.Values.Where(p => p.Age >= age).ToList();
                foreach (var pet in selected)
                {
                    pet.Tag = tag;
                    pet.Age += 1;
                }

                var run = Bulk(
                    () => context.Pets.Where(p => p.Age >= age).ExecuteUpdate(s => s.SetProperty(p => p.Tag, tag).SetProperty(p => p.Age, p => p.Age + 1)),
                    selected.Count);
                return ($"ExecuteUpdate pets aged {age}+ to tag {tag ?? "null"}", run);
            }

            default:
            {
                var region = "r" + Pick(12);
                var selected = model.Owners.Values.Where(o => o.Region == region).Select(o => o.Id).ToList();
                foreach (var id in selected)
                {
                    model.DeleteOwner(id);
                }

                return ($"ExecuteDelete owners of {region}", Bulk(() => context.Owners.Where(o => o.Region == region).ExecuteDelete(), selected.Count));
            }
        }
    }

    private static BulkRun Bulk(Func<int> operation, int expected)
    {
        try
        {
            return new BulkRun(false, operation(), expected);
        }
        catch (DbUpdateException)
        {
            return new BulkRun(true, 0, expected);
        }
    }

    /// <summary>Marks the model's expected state as one the save must refuse.</summary>
    private static string Refuse(Model model, string description)
    {
        model.Owners[-1] = new Owner { Id = -1, Email = "dup" };
        model.Owners[-2] = new Owner { Id = -2, Email = "dup" };
        return description;
    }

    private static List<string> Problems(PetContext context)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        using var view = database.OpenView();
        return LsmIntegrityVerifier.Verify(view, database.Store.GetMappings(context.Model, sync: false, register: true));
    }
}
