using Microsoft.EntityFrameworkCore;

using var db = new NotesContext(args.Length > 0 ? args[0] : "data/notes");
db.Database.EnsureCreated();
db.Notes.Add(new Note { Text = "installed from a package" });
db.SaveChanges();
Console.WriteLine($"{db.Notes.Count()} note(s); first: {db.Notes.OrderBy(n => n.Id).First().Text}");

public class Note
{
    public int Id { get; set; }

    public string Text { get; set; } = "";
}

public class NotesContext(string path) : DbContext
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseLsm(path);
}
