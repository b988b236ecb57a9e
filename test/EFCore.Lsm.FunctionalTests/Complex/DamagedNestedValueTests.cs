using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Metadata.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using EFCore.Lsm.Storage;
using EFCore.Lsm.Storage.Internal;
using MessagePack;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// Damaged bytes in the nested values of a row (docs/row_encoding.md, "Complex collections", "Owned values", "Errors"): a
/// complex collection, an owned collection or an owned reference whose stored value is not what the provider writes is
/// refused with <see cref="MessagePackFormatException"/> naming the entity type and the member, never with the MessagePack
/// package's own exceptions and never with wrong data.
/// </summary>
public sealed class DamagedNestedValueTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Crate
    {
        public int Id { get; set; }

        public string Label { get; set; } = "";

        public List<Slot> Slots { get; set; } = [];

        public List<Part> Parts { get; set; } = [];

        public Lid? Lid { get; set; }
    }

    public class Slot
    {
        public string Name { get; set; } = "";
    }

    public class Part
    {
        public string Code { get; set; } = "";
    }

    public class Lid
    {
        public string Color { get; set; } = "";
    }

    private sealed class CrateContext(string path) : DbContext
    {
        public DbSet<Crate> Crates => Set<Crate>();

        protected override void OnConfiguring(DbContextOptionsBuilder options) => TestStore.Backend.Configure(options, path);

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            var crate = modelBuilder.Entity<Crate>();
            crate.Property(c => c.Id).ValueGeneratedNever();
            crate.ComplexCollection(c => c.Slots);
            crate.OwnsMany(c => c.Parts);
            crate.OwnsOne(c => c.Lid);
        }
    }

    /// <summary>Each damage: the member whose stored value is replaced, and the bytes put there.</summary>
    public static TheoryData<string, string> Damages() => new()
    {
        { "Slots", "A178" },     // a str where the array of element maps belongs
        { "Slots", "9105" },     // an element that is an integer, not a map
        { "Slots", "9181FF05" }, // an element map whose id is a negative integer
        { "Slots", "DD0000FFFF" }, // an array announcing 65535 elements, with none
        { "Slots", "9181<Slots[].Name>05" }, // an element member of the wrong type
        { "Parts", "A178" },
        { "Parts", "9105" },
        { "Parts", "9181FF05" },
        { "Lid", "05" },
        { "Lid", "A178" },
        { "Lid", "81<Lid/Color>C3" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_nested_value_is_refused_naming_the_entity_type_and_the_member(string member, string damage)
    {
        var path = _temp.Db();
        using (var context = new CrateContext(path))
        {
            context.Add(new Crate
            {
                Id = 1,
                Label = "c",
                Slots = [new Slot { Name = "s" }],
                Parts = [new Part { Code = "p" }],
                Lid = new Lid { Color = "red" },
            });
            context.SaveChanges();
            Damage(context, member, damage);
        }

        TestStore.Close(path);

        using (var context = new CrateContext(path))
        {
            foreach (var query in new Func<object>[]
            {
                () => context.Crates.ToList(),
                () => context.Crates.AsNoTracking().Select(c => new { c.Slots, c.Parts, c.Lid }).ToList(),
            })
            {
                var error = Assert.Throws<MessagePackFormatException>(query);
                Assert.True(error.Message.Contains("'Crate'", StringComparison.Ordinal) && error.Message.Contains($"'{member}'", StringComparison.Ordinal), error.Message);
            }
        }
    }

    /// <summary>
    /// Replaces the stored value of <paramref name="member"/> in the row of crate 1 with <paramref name="hex"/>, where
    /// <c>&lt;name&gt;</c> stands for the catalog id of the stored name <c>name</c>.
    /// </summary>
    private static void Damage(DbContext context, string member, string hex)
    {
        var database = (LsmDatabaseWrapper)context.GetService<IDatabase>();
        var mapping = database.GetMapping(context.Model.FindEntityType(typeof(Crate))!);
        var key = mapping.EncodeKey([1]);
        byte[] row;
        Dictionary<string, uint> ids;
        using (var view = database.OpenView())
        {
            row = view.Get(key)!;
            ids = LsmCatalog.Load(view).Entities[typeof(Crate).FullName!].Properties.ToDictionary(p => p.Name, p => p.Id, StringComparer.Ordinal);
        }

        foreach (var (name, id) in ids)
        {
            hex = hex.Replace($"<{name}>", Convert.ToHexString([(byte)id]), StringComparison.Ordinal);
        }

        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        using (var reader = new RowReader(row))
        {
            writer.WriteMapHeader(reader.PropertyCount);
            while (reader.MoveNext())
            {
                writer.Write(reader.PropertyId);
                writer.WriteRaw(reader.PropertyId == ids[member] ? Convert.FromHexString(hex) : reader.RawValue);
            }
        }

        writer.Flush();
        var batch = new LsmConditionalBatch();
        batch.Put(key, buffer.ToArray());
        database.Store.KeyValueStore.Commit(batch, sync: false);
    }
}
