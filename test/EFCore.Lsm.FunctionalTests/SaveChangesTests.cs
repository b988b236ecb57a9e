using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.FunctionalTests;

public sealed class SaveChangesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Saved_entities_read_back_through_the_storage_seam_after_reopen()
    {
        var path = _temp.Db();
        int id;
        using (var context = TestContext.Create(path))
        {
            var customer = new Customer { Name = "Ada", Balance = 12.50m };
            context.Add(customer);
            Assert.Equal(1, context.SaveChanges());
            id = customer.Id;
            Assert.True(id > 0);
        }

        using (var context = TestContext.Create(path))
        {
            var row = StorageReader.Row<Customer>(context, id)!;
            Assert.Equal("Ada", row["Name"]);
            Assert.Equal(12.50m, row["Balance"]);
            Assert.Equal("12.50", ((decimal)row["Balance"]!).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(id, row["Id"]);
        }
    }

    [Fact]
    public void Update_and_delete_change_the_stored_row()
    {
        var path = _temp.Db();
        using var context = TestContext.Create(path);
        var customer = new Customer { Name = "Ada" };
        context.Add(customer);
        context.SaveChanges();

        customer.Name = "Grace";
        context.SaveChanges();
        Assert.Equal("Grace", StorageReader.Row<Customer>(context, customer.Id)!["Name"]);

        context.Remove(customer);
        context.SaveChanges();
        Assert.Null(StorageReader.Row<Customer>(context, customer.Id));
    }

    [Fact]
    public async Task Async_save_writes_the_same_rows()
    {
        await using var context = TestContext.Create(_temp.Db());
        context.Add(new Tag { Id = "a", Note = "x" });
        context.Add(new Tag { Id = "b" });
        Assert.Equal(2, await context.SaveChangesAsync());
        Assert.Equal(["a", "b"], StorageReader.Scan<Tag>(context).Select(r => (string)r["Id"]!));
    }

    [Fact]
    public void Composite_keys_are_stored_in_tuple_order()
    {
        using var context = TestContext.Create(_temp.Db());
        var random = new Random(42);
        var expected = new List<(int, string)>();
        for (var i = 0; i < 200; i++)
        {
            var orderId = random.Next(-5, 5);
            var sku = new string((char)('a' + random.Next(3)), random.Next(0, 4)) + (random.Next(2) == 0 ? "\0" : "");
            if (expected.Contains((orderId, sku)))
            {
                continue;
            }

            expected.Add((orderId, sku));
            context.Add(new OrderLine { OrderId = orderId, Sku = sku, Quantity = i });
        }

        context.SaveChanges();
        var rows = StorageReader.Scan<OrderLine>(context).Select(r => ((int)r["OrderId"]!, (string)r["Sku"]!)).ToList();
        expected.Sort((a, b) => a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : string.CompareOrdinal(a.Item2, b.Item2));
        Assert.Equal(expected, rows);
        Assert.Equal(expected[3].Item2, StorageReader.Row<OrderLine>(context, expected[3].Item1, expected[3].Item2)!["Sku"]);
    }

    [Fact]
    public void Every_scalar_type_round_trips_exactly()
    {
        var path = _temp.Db();
        var full = new AllTypes
        {
            Id = 1,
            Bool = true,
            Byte = 255,
            SByte = -128,
            Short = short.MinValue,
            UShort = ushort.MaxValue,
            Int = int.MinValue,
            UInt = uint.MaxValue,
            Long = long.MinValue,
            ULong = ulong.MaxValue,
            Char = '\uD800',
            Float = -0.0f,
            Double = double.Epsilon,
            Decimal = 1.2300m,
            String = "héllo \0 𝄞",
            Bytes = [0, 1, 255],
            Guid = Guid.NewGuid(),
            DateTime = new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Local).AddTicks(7),
            DateTimeOffset = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(-5.5)),
            DateOnly = DateOnly.MaxValue,
            TimeOnly = new TimeOnly(23, 59, 59, 999),
            TimeSpan = TimeSpan.FromTicks(-1),
            Color = Color.Red,
            Permissions = Permissions.All,
            Temperature = new Celsius(-40.5),
            Link = new Uri("https://example.org/a?b=c"),
            NullableInt = 0,
            NullableDecimal = -0.000m,
            NullableDateTimeOffset = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.FromHours(14)),
            NullableColor = Color.Blue,
            NullableString = "",
            NullableBytes = [],
            NullableGuid = Guid.Empty,
        };
        var empty = new AllTypes { Id = 2 };
        using (var context = TestContext.Create(path))
        {
            context.AddRange(full, empty);
            context.SaveChanges();
        }

        using (var context = TestContext.Create(path))
        {
            var row = StorageReader.Row<AllTypes>(context, 1)!;
            foreach (var property in typeof(AllTypes).GetProperties())
            {
                var expected = property.GetValue(full);
                var actual = row[property.Name];
                if (expected is byte[] bytes)
                {
                    Assert.Equal(bytes, (byte[])actual!);
                }
                else
                {
                    Assert.True(Equals(expected, actual), $"{property.Name}: expected {expected}, got {actual}");
                }
            }

            Assert.Equal(TimeSpan.FromHours(-5.5), ((DateTimeOffset)row["DateTimeOffset"]!).Offset);
            Assert.Equal(4, decimal.GetBits((decimal)row["Decimal"]!)[3] >> 16 & 0xFF);
            Assert.Equal(DateTimeKind.Local, ((DateTime)row["DateTime"]!).Kind);
            Assert.True(float.IsNegative((float)row["Float"]!));
            Assert.True(decimal.IsNegative((decimal)row["NullableDecimal"]!));

            var nulls = StorageReader.Row<AllTypes>(context, 2)!;
            Assert.Null(nulls["NullableInt"]);
            Assert.Null(nulls["NullableString"]);
            Assert.Null(nulls["NullableBytes"]);
            Assert.Null(nulls["NullableColor"]);
            Assert.Null(nulls["Link"]);
        }
    }

    [Fact]
    public void Keys_with_converters_and_offsets_address_one_row_per_instant()
    {
        using var context = TestContext.Create(_temp.Db());
        context.Add(new ConvertedKey { Id = new Celsius(21.5), Value = "warm" });
        var instant = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(2));
        context.Add(new DateKeyed { Id = instant, Value = "x" });
        context.SaveChanges();

        Assert.Equal("warm", StorageReader.Row<ConvertedKey>(context, new Celsius(21.5))!["Value"]);

        // The key is the instant (UtcTicks, as DateTimeOffset.Equals compares); the offset is kept in the row value.
        var row = StorageReader.Row<DateKeyed>(context, instant.ToOffset(TimeSpan.Zero))!;
        Assert.Equal(TimeSpan.FromHours(2), ((DateTimeOffset)row["Id"]!).Offset);

        using var other = TestContext.Create(_temp.Db());
        other.Add(new DateKeyed { Id = instant.ToOffset(TimeSpan.FromHours(-3)), Value = "same instant" });
        Assert.Throws<DbUpdateException>(() => other.SaveChanges());
    }

    [Fact]
    public void Duplicate_insert_throws_and_writes_nothing_of_the_save()
    {
        using var context = TestContext.Create(_temp.Db());
        context.Add(new Tag { Id = "dup", Note = "first" });
        context.SaveChanges();

        using var other = TestContext.Create(_temp.Db());
        other.Add(new Tag { Id = "fresh" });
        other.Add(new Tag { Id = "dup", Note = "second" });
        var e = Assert.Throws<DbUpdateException>(() => other.SaveChanges());
        Assert.IsNotType<DbUpdateConcurrencyException>(e);
        Assert.Contains("Tag", e.Message);
        Assert.Single(e.Entries);
        Assert.Equal("dup", ((Tag)e.Entries[0].Entity).Id);

        Assert.Null(StorageReader.Row<Tag>(other, "fresh"));
        Assert.Equal("first", StorageReader.Row<Tag>(other, "dup")!["Note"]);
    }

    [Fact]
    public void Update_or_delete_of_a_missing_row_throws_and_writes_nothing()
    {
        using var context = TestContext.Create(_temp.Db());
        context.Add(new Tag { Id = "kept" });
        context.SaveChanges();

        using var other = TestContext.Create(_temp.Db());
        other.Add(new Tag { Id = "new" });
        other.Update(new Tag { Id = "ghost", Note = "x" });
        var update = Assert.ThrowsAny<DbUpdateException>(() => other.SaveChanges());
        Assert.IsType<DbUpdateConcurrencyException>(update);
        Assert.Equal("ghost", ((Tag)update.Entries.Single().Entity).Id);
        Assert.Null(StorageReader.Row<Tag>(other, "new"));
        Assert.Null(StorageReader.Row<Tag>(other, "ghost"));

        using var third = TestContext.Create(_temp.Db());
        third.Remove(new Tag { Id = "ghost" });
        Assert.ThrowsAny<DbUpdateException>(() => third.SaveChanges());
    }

    [Fact]
    public void Concurrency_token_conflict_throws_with_the_entry_and_writes_nothing()
    {
        var path = _temp.Db();
        using (var seed = TestContext.Create(path))
        {
            seed.Add(new Customer { Id = 7, Name = "Ada", Version = 1 });
            seed.SaveChanges();
        }

        // Two users read version 1 (attached with the values they read).
        using var first = TestContext.Create(path);
        using var second = TestContext.Create(path);
        var mine = new Customer { Id = 7, Name = "Ada", Version = 1 };
        var theirs = new Customer { Id = 7, Name = "Ada", Version = 1 };
        first.Attach(mine);
        second.Attach(theirs);

        mine.Name = "Ada L.";
        mine.Version = 2;
        first.SaveChanges();

        theirs.Name = "Ada B.";
        theirs.Version = 2;
        second.Add(new Customer { Name = "bystander" });
        var e = Assert.Throws<DbUpdateConcurrencyException>(() => second.SaveChanges());
        Assert.Same(theirs, e.Entries.Single().Entity);

        var row = StorageReader.Row<Customer>(second, 7)!;
        Assert.Equal("Ada L.", row["Name"]);
        Assert.Single(StorageReader.Scan<Customer>(second));

        // Deleting with the stale token fails too; with the current token it succeeds.
        second.ChangeTracker.Clear();
        second.Remove(new Customer { Id = 7, Version = 1 });
        Assert.Throws<DbUpdateConcurrencyException>(() => second.SaveChanges());
        second.ChangeTracker.Clear();
        second.Remove(new Customer { Id = 7, Version = 2 });
        second.SaveChanges();
        Assert.Null(StorageReader.Row<Customer>(second, 7));
    }

    [Fact]
    public void Row_versions_are_generated_and_checked()
    {
        using var context = TestContext.Create(_temp.Db());
        var document = new Document { Title = "draft" };
        context.Add(document);
        context.SaveChanges();
        var firstVersion = document.RowVersion;
        Assert.NotNull(firstVersion);
        Assert.Equal(7, document.Id.Version);

        document.Title = "final";
        context.SaveChanges();
        Assert.NotEqual(firstVersion, document.RowVersion);
        Assert.Equal(document.RowVersion, (byte[])StorageReader.Row<Document>(context, document.Id)!["RowVersion"]!);

        using var stale = TestContext.Create(_temp.Db());
        var old = new Document { Id = document.Id, Title = "final", RowVersion = firstVersion };
        stale.Attach(old);
        old.Title = "overwrite";
        Assert.Throws<DbUpdateConcurrencyException>(() => stale.SaveChanges());
        Assert.Equal("final", StorageReader.Row<Document>(stale, document.Id)!["Title"]);
    }

    [Fact]
    public void Delete_and_insert_of_the_same_key_in_one_save_replaces_the_row()
    {
        using var context = TestContext.Create(_temp.Db());
        var tag = new Tag { Id = "k", Note = "old" };
        context.Add(tag);
        context.SaveChanges();

        context.Remove(tag);
        context.Add(new Tag { Id = "k", Note = "new" });
        context.SaveChanges();
        Assert.Equal("new", StorageReader.Row<Tag>(context, "k")!["Note"]);
    }

    [Fact]
    public void Replacing_an_entity_with_a_concurrency_token_checks_the_deleted_entitys_token()
    {
        using var context = TestContext.Create(_temp.Db());
        var old = new Customer { Id = 5, Name = "old", Version = 1 };
        context.Add(old);
        context.SaveChanges();

        context.Remove(old);
        context.Add(new Customer { Id = 5, Name = "new", Version = 9 });
        context.SaveChanges();
        Assert.Equal("new", StorageReader.Row<Customer>(context, 5)!["Name"]);

        using var stale = TestContext.Create(_temp.Db());
        var staleOld = new Customer { Id = 5, Name = "old", Version = 1 };
        stale.Attach(staleOld);
        stale.Remove(staleOld);
        stale.Add(new Customer { Id = 5, Name = "newer", Version = 2 });
        Assert.Throws<DbUpdateConcurrencyException>(() => stale.SaveChanges());
        Assert.Equal("new", StorageReader.Row<Customer>(stale, 5)!["Name"]);
    }

    [Theory]
    [InlineData("key")]
    [InlineData("value")]
    public void Lone_surrogates_are_refused_naming_entity_and_property(string where)
    {
        using var context = TestContext.Create(_temp.Db());
        context.Add(new Tag { Id = "ok" });
        context.Add(where == "key" ? new Tag { Id = "bad\uD800" } : new Tag { Id = "bad", Note = "x\uDC00y" });
        var e = Assert.Throws<DbUpdateException>(() => context.SaveChanges());
        Assert.Contains("Tag", e.Message);
        Assert.Contains(where == "key" ? "'Id'" : "'Note'", e.Message);
        Assert.Single(e.Entries);
        Assert.Empty(StorageReader.Scan<Tag>(context));
    }

    [Fact]
    public void Key_over_the_size_limit_is_refused_and_nothing_is_written()
    {
        using var context = TestContext.Create(_temp.Db());
        context.Add(new Tag { Id = "ok" });
        context.Add(new Tag { Id = new string('x', 9000) });
        var e = Assert.Throws<DbUpdateException>(() => context.SaveChanges());
        Assert.Contains("'Id'", e.Message);
        Assert.Contains("too long", e.Message);
        Assert.Empty(StorageReader.Scan<Tag>(context));
    }
}
