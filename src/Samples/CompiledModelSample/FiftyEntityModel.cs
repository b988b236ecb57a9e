using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Samples.CompiledModel;

// Fifty entity types of eight properties each (every fifth with a composite key): a model large enough that building it
// at run time shows in startup, which a compiled model (dotnet ef dbcontext optimize) removes.

public class Entity01
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity02
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity03
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity04
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity05
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity06
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity07
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity08
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity09
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity10
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity11
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity12
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity13
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity14
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity15
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity16
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity17
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity18
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity19
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity20
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity21
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity22
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity23
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity24
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity25
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity26
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity27
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity28
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity29
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity30
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity31
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity32
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity33
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity34
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity35
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity36
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity37
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity38
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity39
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity40
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity41
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity42
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity43
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity44
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity45
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity46
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity47
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity48
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity49
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

public class Entity50
{
    public int Id { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime Created { get; set; }

    public bool Active { get; set; }

    public Guid Reference { get; set; }

    public int? Rank { get; set; }

    public string? Note { get; set; }
}

/// <summary>
/// The context <c>dotnet ef dbcontext optimize</c> compiled: EF finds the generated model (CompiledModels/) through its
/// assembly attribute and uses it instead of building the model.
/// </summary>
public class FiftyEntityContext(string path) : DbContext
{
    protected override void OnConfiguring(DbContextOptionsBuilder options) => options.UseLsm(path);

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Entity01>();
        model.Entity<Entity02>();
        model.Entity<Entity03>();
        model.Entity<Entity04>();
        model.Entity<Entity06>();
        model.Entity<Entity07>();
        model.Entity<Entity08>();
        model.Entity<Entity09>();
        model.Entity<Entity11>();
        model.Entity<Entity12>();
        model.Entity<Entity13>();
        model.Entity<Entity14>();
        model.Entity<Entity16>();
        model.Entity<Entity17>();
        model.Entity<Entity18>();
        model.Entity<Entity19>();
        model.Entity<Entity21>();
        model.Entity<Entity22>();
        model.Entity<Entity23>();
        model.Entity<Entity24>();
        model.Entity<Entity26>();
        model.Entity<Entity27>();
        model.Entity<Entity28>();
        model.Entity<Entity29>();
        model.Entity<Entity31>();
        model.Entity<Entity32>();
        model.Entity<Entity33>();
        model.Entity<Entity34>();
        model.Entity<Entity36>();
        model.Entity<Entity37>();
        model.Entity<Entity38>();
        model.Entity<Entity39>();
        model.Entity<Entity41>();
        model.Entity<Entity42>();
        model.Entity<Entity43>();
        model.Entity<Entity44>();
        model.Entity<Entity46>();
        model.Entity<Entity47>();
        model.Entity<Entity48>();
        model.Entity<Entity49>();
        model.Entity<Entity05>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity10>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity15>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity20>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity25>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity30>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity35>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity40>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity45>().HasKey(e => new { e.Id, e.Part });
        model.Entity<Entity50>().HasKey(e => new { e.Id, e.Part });
    }
}

/// <summary>The same model built at run time: the compiled model names <see cref="FiftyEntityContext"/> exactly, not this type.</summary>
public sealed class RuntimeModelFiftyEntityContext(string path) : FiftyEntityContext(path);

/// <summary>Lets <c>dotnet ef</c> create the context (it has no parameterless constructor).</summary>
public sealed class FiftyEntityContextFactory : Microsoft.EntityFrameworkCore.Design.IDesignTimeDbContextFactory<FiftyEntityContext>
{
    public FiftyEntityContext CreateDbContext(string[] args) => new(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "efcore-lsm-design"));
}
