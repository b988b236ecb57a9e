using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Inheritance;

// A table-per-hierarchy model, as EF's InheritanceQuery/TPH tests use: abstract and concrete levels, a discriminator,
// properties on every level (two siblings declare one name with different types), relationships to the base and to a
// derived type, generated keys shared by the hierarchy.
public abstract class Animal
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public int? ZooId { get; set; }

    public Zoo? Zoo { get; set; }
}

public class Bird : Animal
{
    public bool CanFly { get; set; }

    public int? PreyId { get; set; }
}

public class Eagle : Bird
{
    public string Group { get; set; } = "";

    public List<Bird> Prey { get; set; } = [];
}

public class Kiwi : Bird
{
    public bool FoundOnSouthIsland { get; set; }
}

public abstract class Mammal : Animal
{
    public int Legs { get; set; }
}

public class Dog : Mammal
{
    public string Breed { get; set; } = "";

    public string? Sound { get; set; }
}

public class Cat : Mammal
{
    public int? Sound { get; set; }

    public int Lives { get; set; }
}

public class Zoo
{
    public int Id { get; set; }

    public string City { get; set; } = "";

    public List<Animal> Animals { get; set; } = [];
}

public class ZooContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Animal> Animals => Set<Animal>();

    public DbSet<Bird> Birds => Set<Bird>();

    public DbSet<Dog> Dogs => Set<Dog>();

    public DbSet<Zoo> Zoos => Set<Zoo>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Mammal>();
        modelBuilder.Entity<Eagle>();
        modelBuilder.Entity<Kiwi>();
        modelBuilder.Entity<Cat>();
        modelBuilder.Entity<Animal>().HasDiscriminator<string>("Kind");
        modelBuilder.Entity<Eagle>().HasMany(e => e.Prey).WithOne().HasForeignKey(b => b.PreyId);
        modelBuilder.Entity<Zoo>().Property(z => z.Id).ValueGeneratedNever();
    }
}

/// <summary>The seed of the zoo model; keys are assigned by the provider's generator (shared by the hierarchy).</summary>
public sealed class ZooData
{
    public ZooData()
    {
        Zoos.Add(new Zoo { Id = 1, City = "Auckland" });
        Zoos.Add(new Zoo { Id = 2, City = "Berlin" });
        var eagle = new Eagle { Name = "Great", Group = "Haliaeetus", CanFly = true, ZooId = 2 };
        var kiwi = new Kiwi { Name = "Little spotted", FoundOnSouthIsland = true, ZooId = 1 };
        Animals.AddRange(
        [
            kiwi,
            new Kiwi { Name = "Brown", FoundOnSouthIsland = false, ZooId = 1 },
            eagle,
            new Eagle { Name = "Bald", Group = "Haliaeetus", CanFly = true },
            new Bird { Name = "Sparrow", CanFly = true, ZooId = 2 },
            new Dog { Name = "Rex", Breed = "Collie", Legs = 4, Sound = "woof", ZooId = 2 },
            new Dog { Name = "Tripod", Breed = "Terrier", Legs = 3 },
            new Cat { Name = "Tom", Lives = 9, Legs = 4, Sound = 3, ZooId = 1 },
            new Cat { Name = "Felix", Lives = 7, Legs = 4 },
        ]);
    }

    public List<Zoo> Zoos { get; } = [];

    public List<Animal> Animals { get; } = [];

    public void Seed(DbContext context)
    {
        context.AddRange(Zoos.Select(z => new Zoo { Id = z.Id, City = z.City }));
        var copies = new Dictionary<Animal, Animal>();
        foreach (var animal in Animals)
        {
            Animal copy = animal switch
            {
                Eagle e => new Eagle { Name = e.Name, Group = e.Group, CanFly = e.CanFly },
                Kiwi k => new Kiwi { Name = k.Name, FoundOnSouthIsland = k.FoundOnSouthIsland, CanFly = k.CanFly },
                Bird b => new Bird { Name = b.Name, CanFly = b.CanFly },
                Dog d => new Dog { Name = d.Name, Breed = d.Breed, Legs = d.Legs, Sound = d.Sound },
                Cat c => new Cat { Name = c.Name, Lives = c.Lives, Legs = c.Legs, Sound = c.Sound },
                _ => throw new InvalidOperationException(),
            };
            copy.ZooId = animal.ZooId;
            copies[animal] = copy;
            context.Add(copy);
        }

        context.SaveChanges();

        // The seed takes the generated keys, so the oracle sees the same rows; then the little kiwi becomes the great eagle's prey.
        foreach (var (original, copy) in copies)
        {
            original.Id = copy.Id;
        }

        var eagle = (Eagle)copies[Animals.OfType<Eagle>().First()];
        var kiwi = (Kiwi)copies[Animals.OfType<Kiwi>().First()];
        kiwi.PreyId = eagle.Id;
        context.SaveChanges();
        Animals.OfType<Kiwi>().First().PreyId = eagle.Id;
        FixUp();
    }

    public IQueryable<T> Set<T>()
        where T : class =>
        typeof(T) == typeof(Zoo) ? (IQueryable<T>)Zoos.AsQueryable() : Animals.OfType<T>().AsQueryable();

    private void FixUp()
    {
        foreach (var animal in Animals)
        {
            animal.Zoo = Zoos.FirstOrDefault(z => z.Id == animal.ZooId);
            animal.Zoo?.Animals.Add(animal);
            if (animal is Bird { PreyId: { } preyOf } bird)
            {
                ((Eagle)Animals.Single(a => a.Id == preyOf)).Prey.Add(bird);
            }
        }

        Animals.Sort((a, b) => a.Id.CompareTo(b.Id));
    }
}
