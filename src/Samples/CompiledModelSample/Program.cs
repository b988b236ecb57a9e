using System.Diagnostics;
using System.Globalization;
using EFCore.Lsm.Samples.CompiledModel;
using Microsoft.EntityFrameworkCore;

// Usage: CompiledModelSample <db-path> [--runtime-model]
// Opens a context on a 50-entity model, saves one row and reads it back, and prints how long that first use took: with
// the compiled model in CompiledModels/ (the default), or with the model built at run time (--runtime-model).
var path = args.Length > 0 ? args[0] : "data/fifty";
var runtimeModel = args.Contains("--runtime-model");
var stopwatch = Stopwatch.StartNew();
using (var db = runtimeModel ? new RuntimeModelFiftyEntityContext(path) : new FiftyEntityContext(path))
{
    db.Database.EnsureCreated();
    var id = Random.Shared.Next();
    db.Add(new Entity01 { Id = id, Name = "first", Amount = 1.5m, Created = DateTime.UtcNow, Reference = Guid.NewGuid() });
    db.Add(new Entity50 { Id = id, Part = 1, Name = "last" });
    db.SaveChanges();
    var read = db.Set<Entity50>().AsNoTracking().Single(e => e.Id == id && e.Part == 1);
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{(runtimeModel ? "runtime model" : "compiled model")}: {db.Model.GetEntityTypes().Count()} entity types, "
        + $"first save and query in {stopwatch.Elapsed.TotalMilliseconds:F0} ms ({read.Name})"));
}
