using EFCore.Lsm.Design.Internal;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EFCore.Lsm.FunctionalTests.Complex;

/// <summary>
/// Complex collections as models change (docs/catalog.md): rows written before a model had a collection read it as empty
/// (null when optional) and save it; a member the model drops from the element type makes saves refuse naming it (a save
/// rewrites the collection whole) while reads go on; a collection the model drops is carried over by saves; shapes the row
/// format does not hold (a complex collection in a complex type or in a collection's elements) are refused naming them;
/// ExecuteUpdate and ExecuteDelete keep or remove collections with their rows.
/// </summary>
public sealed class ComplexCollectionModelTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public class Shelf
    {
        public int Id { get; set; }

        public string Label { get; set; } = "";

        public List<Book> Books { get; set; } = [];

        public List<Book>? Spares { get; set; }

        public Frame Frame { get; set; } = new();

        public Frame? Cover { get; set; }
    }

    public class Book
    {
        public string Title { get; set; } = "";

        public int Pages { get; set; }

        public List<Chapter> Chapters { get; set; } = [];
    }

    public class Chapter
    {
        public string Name { get; set; } = "";
    }

    public class Frame
    {
        public string Wood { get; set; } = "";

        public List<Chapter> Marks { get; set; } = [];
    }

    private ModelVariantContext Context(string variant) => ModelVariantContext.Create(_temp.Db(), variant, model =>
    {
        var shelf = model.Entity<Shelf>();
        shelf.Property(s => s.Id).ValueGeneratedNever();
        shelf.ComplexProperty(s => s.Frame, f => f.Ignore(x => x.Marks));
        shelf.ComplexProperty(s => s.Cover, f => f.Ignore(x => x.Marks));
        switch (variant)
        {
            case "none":
                shelf.Ignore(s => s.Books);
                shelf.Ignore(s => s.Spares);
                break;
            case "books":
                shelf.ComplexCollection(s => s.Books, b => b.Ignore(x => x.Chapters));
                shelf.ComplexCollection(s => s.Spares, b => { b.Ignore(x => x.Chapters); b.IsRequired(false); });
                break;
            case "no pages":
                shelf.ComplexCollection(s => s.Books, b =>
                {
                    b.Ignore(x => x.Chapters);
                    b.Ignore(x => x.Pages);
                });
                shelf.ComplexCollection(s => s.Spares, b => { b.Ignore(x => x.Chapters); b.IsRequired(false); });
                break;
            case "no spares":
                shelf.ComplexCollection(s => s.Books, b => b.Ignore(x => x.Chapters));
                shelf.Ignore(s => s.Spares);
                break;
            case "nested in element":
                shelf.ComplexCollection(s => s.Books, b => b.ComplexCollection(x => x.Chapters));
                shelf.Ignore(s => s.Spares);
                break;
            case "nested in complex":
                shelf.Ignore(s => s.Books);
                shelf.Ignore(s => s.Spares);
                shelf.ComplexProperty(s => s.Frame, f => f.ComplexCollection(x => x.Marks));
                break;
        }
    });

    private static string Describe(Shelf shelf) =>
        $"{shelf.Id}:{shelf.Label}:[{string.Join(",", shelf.Books.Select(b => b.Title + "/" + b.Pages))}]:"
        + (shelf.Spares is null ? "null" : $"[{string.Join(",", shelf.Spares.Select(b => b.Title + "/" + b.Pages))}]");

    [Fact]
    public void Rows_written_before_the_model_had_complex_collections_read_them_as_empty_or_null_and_save_them()
    {
        using (var context = Context("none"))
        {
            context.Add(new Shelf { Id = 1, Label = "old" });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("books"))
        {
            var shelf = context.Set<Shelf>().Single();
            Assert.Equal("1:old:[]:null", Describe(shelf));
            Assert.Equal([1], context.Set<Shelf>().Where(s => !s.Books.Any() && s.Spares == null).Select(s => s.Id).ToList());
            shelf.Books.Add(new Book { Title = "t", Pages = 3 });
            shelf.Spares = [new Book { Title = "s", Pages = 1 }];
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("books"))
        {
            Assert.Equal("1:old:[t/3]:[s/1]", Describe(context.Set<Shelf>().AsNoTracking().Single()));
        }
    }

    [Fact]
    public void A_member_dropped_from_the_element_type_refuses_saves_naming_it_and_a_dropped_collection_is_carried_over()
    {
        using (var context = Context("books"))
        {
            context.Add(new Shelf { Id = 1, Label = "a", Books = [new Book { Title = "t", Pages = 3 }], Spares = [new Book { Title = "s", Pages = 2 }] });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("no pages"))
        {
            var shelf = context.Set<Shelf>().Single();
            Assert.Equal("t", shelf.Books.Single().Title);
            shelf.Label = "b";
            var error = Assert.Throws<NotSupportedException>(() => context.SaveChanges());
            Assert.Contains("'Books[].Pages'", error.Message);
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("no spares"))
        {
            var shelf = context.Set<Shelf>().Single();
            shelf.Label = "c";
            shelf.Books[0].Pages = 4;
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("books"))
        {
            Assert.Equal("1:c:[t/4]:[s/2]", Describe(context.Set<Shelf>().AsNoTracking().Single()));
        }
    }

    [Fact]
    public void A_dropped_element_member_is_reported_as_kept_in_the_elements_and_not_as_a_column_to_drop()
    {
        using (var context = Context("books"))
        {
            context.Add(new Shelf { Id = 1, Label = "a", Books = [new Book { Title = "t", Pages = 3 }], Spares = [new Book { Title = "s", Pages = 2 }] });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("no pages"))
        {
            // Regression: the message said to drop it with migrationBuilder.DropColumn, which no migration of an element member does.
            var difference = Assert.Single(context.Database.GetLsmSchemaDifferences());
            Assert.Equal("Books[].Pages", difference.Property);
            Assert.DoesNotContain("DropColumn", difference.Message, StringComparison.Ordinal);
            Assert.Contains("'Shelf.Books[].Pages'", difference.Message, StringComparison.Ordinal);
            Assert.Contains("Saves of these rows are refused", difference.Message, StringComparison.Ordinal);
            Assert.Contains("keep the member in the element type", difference.Message, StringComparison.Ordinal);
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("no spares"))
        {
            var differences = context.Database.GetLsmSchemaDifferences().OrderBy(d => d.Property, StringComparer.Ordinal).ToList();
            Assert.Equal(["Spares", "Spares[].Pages", "Spares[].Title"], differences.Select(d => d.Property));
            Assert.Contains("DropColumn(name: \"Spares\"", differences[0].Message, StringComparison.Ordinal);
            Assert.All(differences.Skip(1), d => Assert.Contains("Saves carry the collection's stored value over", d.Message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_migrations_differ_refuses_element_member_changes_it_cannot_express_naming_them()
    {
        IModel Model(ModelVariantContext context) => context.GetService<IDesignTimeModel>().Model;
        using var none = Context("none");
        using var books = Context("books");
        using var noPages = Context("no pages");
        using var noSpares = Context("no spares");

        // A complex collection is no column: adding or dropping one, or adding an element member, is no operation.
        Assert.Empty(LsmModelDiffer.Diff(Model(none), Model(books)));
        Assert.Empty(LsmModelDiffer.Diff(Model(books), Model(noSpares)));
        Assert.Empty(LsmModelDiffer.Diff(Model(noPages), Model(books)));
        Assert.DoesNotContain(
            LsmModelDiffer.Diff(null, Model(books)).OfType<Microsoft.EntityFrameworkCore.Migrations.Operations.CreateTableOperation>().Single().Columns,
            c => c.Name.Contains("Books", StringComparison.Ordinal));

        // Regression: dropping an element member gave no operation and no error; the database then refused every save.
        var dropped = Assert.Throws<NotSupportedException>(() => LsmModelDiffer.Diff(Model(books), Model(noPages)));
        Assert.Contains("'Books[].Pages'", dropped.Message, StringComparison.Ordinal);
        Assert.Contains("'Shelf.Books'", dropped.Message, StringComparison.Ordinal);

        using var hueAsText = Zoo("hue as text");
        using var lengthAsText = Zoo("length as text");
        var converted = Assert.Throws<NotSupportedException>(() => LsmModelDiffer.Diff(Model(hueAsText), Model(lengthAsText)));
        Assert.Contains("'Feathers[].Length'", converted.Message, StringComparison.Ordinal);
        Assert.Contains("'Bird.Feathers'", converted.Message, StringComparison.Ordinal);
        Assert.Contains("System.Double", converted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_complex_collection_inside_an_element_or_a_complex_type_is_refused_naming_it()
    {
        using (var context = Context("nested in element"))
        {
            var error = Assert.Throws<InvalidOperationException>(() => context.Model);
            Assert.Contains("'Shelf.Books.Chapters' is a complex collection (ComplexCollection) inside a complex type", error.Message);
        }

        using (var context = Context("nested in complex"))
        {
            var error = Assert.Throws<InvalidOperationException>(() => context.Model);
            Assert.Contains("'Shelf.Frame.Marks' is a complex collection (ComplexCollection) inside a complex type", error.Message);
        }
    }

    [Fact]
    public void ExecuteUpdate_of_another_property_keeps_the_collections_and_ExecuteDelete_removes_the_rows()
    {
        using (var context = Context("books"))
        {
            context.AddRange(
                new Shelf { Id = 1, Label = "a", Books = [new Book { Title = "t", Pages = 3 }], Spares = [] },
                new Shelf { Id = 2, Label = "b", Books = [new Book { Title = "u", Pages = 1 }, new Book { Title = "v", Pages = 2 }] });
            context.SaveChanges();
        }

        using (var context = Context("books"))
        {
            Assert.Equal(1, context.Set<Shelf>().Where(s => s.Books.Count == 1).ExecuteUpdate(s => s.SetProperty(x => x.Label, "z")));

            // Setting the collection itself is not translated: nothing is written.
            var error = Assert.Throws<InvalidOperationException>(() =>
                context.Set<Shelf>().ExecuteUpdate(s => s.SetProperty(x => x.Books, new List<Book>())));
            Assert.True(error.Message.Contains("Books", StringComparison.Ordinal), error.Message);
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("books"))
        {
            Assert.Equal(
                ["1:z:[t/3]:[]", "2:b:[u/1,v/2]:null"],
                context.Set<Shelf>().AsNoTracking().OrderBy(s => s.Id).AsEnumerable().Select(Describe).ToList());
            Assert.Equal(1, context.Set<Shelf>().Where(s => s.Books.Any(b => b.Title == "v")).ExecuteDelete());
            Assert.Equal(["1:z:[t/3]:[]"], context.Set<Shelf>().AsNoTracking().AsEnumerable().Select(Describe).ToList());
        }
    }

    [Fact]
    public void ExecuteUpdate_sets_a_member_of_a_required_complex_value_and_keeps_the_rest_of_the_row()
    {
        using (var context = Context("books"))
        {
            context.AddRange(
                new Shelf { Id = 1, Label = "a", Frame = new Frame { Wood = "pine" }, Books = [new Book { Title = "t", Pages = 3 }] },
                new Shelf { Id = 2, Label = "b", Frame = new Frame { Wood = "ash" }, Cover = new Frame { Wood = "elm" } });
            context.SaveChanges();
        }

        using (var context = Context("books"))
        {
            Assert.Equal(
                1,
                context.Set<Shelf>().Where(s => s.Books.Any())
                    .ExecuteUpdate(s => s.SetProperty(x => x.Frame.Wood, x => x.Frame.Wood + "/" + x.Label)));

            // A member of an optional complex value (which a row may lack) is refused, and nothing is written.
            var error = Assert.Throws<InvalidOperationException>(() =>
                context.Set<Shelf>().ExecuteUpdate(s => s.SetProperty(x => x.Cover!.Wood, "oak")));
            Assert.True(error.Message.Contains("optional complex value", StringComparison.Ordinal), error.Message);
        }

        TestStore.Close(_temp.Db());
        using (var context = Context("books"))
        {
            var shelves = context.Set<Shelf>().AsNoTracking().OrderBy(s => s.Id).ToList();
            Assert.Equal(
                ["1:a:[t/3]:null|pine/a|-", "2:b:[]:null|ash|elm"],
                shelves.Select(s => Describe(s) + "|" + s.Frame.Wood + "|" + (s.Cover?.Wood ?? "-")));
        }
    }

    public class Animal
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";
    }

    public class Bird : Animal
    {
        public List<Feather> Feathers { get; set; } = [];
    }

    public enum Hue
    {
        Red,
        Blue,
    }

    public class Feather
    {
        public Hue Hue { get; set; }

        public double Length { get; set; }
    }

    private ModelVariantContext Zoo(string variant) => ModelVariantContext.Create(_temp.Db("zoo"), "zoo " + variant, model =>
    {
        model.Entity<Animal>().Property(a => a.Id).ValueGeneratedNever();
        model.Entity<Bird>().ComplexCollection(b => b.Feathers, f =>
        {
            f.Property(x => x.Hue).HasConversion<string>();

            if (variant == "length as text")
            {
                f.Property(x => x.Length).HasConversion<string>();
            }
        });
    });

    [Fact]
    public void A_derived_type_s_collection_with_a_converted_member_is_stored_and_a_member_type_change_is_refused_naming_it()
    {
        using (var context = Zoo("hue as text"))
        {
            context.AddRange(
                new Animal { Id = 1, Name = "cat" },
                new Bird { Id = 2, Name = "jay", Feathers = [new Feather { Hue = Hue.Blue, Length = 2.5 }, new Feather { Hue = Hue.Red, Length = 1 }] });
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db("zoo"));
        using (var context = Zoo("hue as text"))
        {
            var animals = context.Set<Animal>().OrderBy(a => a.Id).ToList();
            Assert.Equal(
                ["cat", "jay:Blue/2.5,Red/1"],
                animals.Select(a => a is Bird b ? b.Name + ":" + string.Join(",", b.Feathers.Select(f => f.Hue + "/" + f.Length)) : a.Name));
            Assert.Equal(["jay"], context.Set<Bird>().Where(b => b.Feathers.Any(f => f.Hue == Hue.Red)).Select(b => b.Name).ToList());
            var bird = (Bird)animals[1];
            bird.Feathers[0] = new Feather { Hue = Hue.Red, Length = 3 };
            context.SaveChanges();
        }

        TestStore.Close(_temp.Db("zoo"));
        using (var context = Zoo("length as text"))
        {
            context.Add(new Bird { Id = 3, Name = "tit" });
            var error = Assert.Throws<InvalidOperationException>(() => context.SaveChanges());
            // Named by the type that declares the collection (it named the hierarchy's root, 'Animal', before).
            Assert.True(error.Message.Contains("'Bird.Feathers[].Length'", StringComparison.Ordinal), error.Message);
        }

        using (var context = Zoo("hue as text"))
        {
            Assert.Equal(
                ["Red/3", "Red/1"],
                context.Set<Bird>().AsNoTracking().Single().Feathers.Select(f => f.Hue + "/" + f.Length));
        }
    }
}
