using EFCore.Lsm.Samples.Migrations;
using Microsoft.EntityFrameworkCore;

// Applies the pending migrations (as `dotnet ef database update` does) and prints every book as Isbn|Title|Id|note,
// where note is the Note or the Remark property, whichever the model has.
using var db = new LibraryContext();
db.Database.Migrate();
var book = db.Model.FindEntityType(typeof(Book))!;
var note = (book.FindProperty("Note") ?? book.FindProperty("Remark"))!.Name;
foreach (var row in db.Books.AsNoTracking().OrderBy(b => b.Isbn))
{
    Console.WriteLine($"{row.Isbn}|{row.Title}|{row.Id}|{db.Entry(row).Property(note).CurrentValue}");
}
