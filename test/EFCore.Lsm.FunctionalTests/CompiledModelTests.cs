using System.Reflection;
using EFCore.Lsm.Design.Internal;
using EFCore.Lsm.FunctionalTests.TestUtilities;
using EFCore.Lsm.Samples.CompiledModel;
using EFCore.Lsm.Samples.CompiledModel.CompiledModels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace EFCore.Lsm.FunctionalTests;

/// <summary>
/// Design-time services and compiled models: <c>dotnet ef dbcontext optimize</c> generated
/// src/Samples/CompiledModelSample/CompiledModels from the sample's 50-entity context, and the provider runs it.
/// </summary>
public sealed class CompiledModelTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_compiled_model_saves_and_queries_and_matches_the_model_built_at_run_time()
    {
        var created = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        using (var db = new FiftyEntityContext(_temp.Db()))
        {
            Assert.Same(FiftyEntityContextModel.Instance, db.Model);
            Assert.Equal(50, db.Model.GetEntityTypes().Count());
            db.Database.EnsureCreated();
            for (var id = 1; id <= 3; id++)
            {
                db.Add(new Entity01 { Id = id, Name = "one-" + id, Amount = id * 1.25m, Created = created, Rank = id });
                db.Add(new Entity50 { Id = 7, Part = id, Name = "part-" + id, Note = id == 2 ? null : "n" });
            }

            db.SaveChanges();
            Assert.Equal("one-2", db.Set<Entity01>().Find(2)!.Name);
            Assert.Equal(
                ["part-2", "part-3"],
                db.Set<Entity50>().AsNoTracking().Where(e => e.Id == 7 && e.Part >= 2).OrderBy(e => e.Part).Select(e => e.Name).ToList());
            Assert.Equal(3.75m, db.Set<Entity01>().Max(e => e.Amount));
        }

        // The same entity types built at run time read what the compiled model wrote: one catalog, one row format.
        using (var db = new RuntimeModelFiftyEntityContext(_temp.Db()))
        {
            Assert.NotSame(FiftyEntityContextModel.Instance, db.Model);
            var row = db.Set<Entity01>().AsNoTracking().Single(e => e.Id == 3);
            Assert.Equal(("one-3", 3.75m, created, 3), (row.Name, row.Amount, row.Created, row.Rank));
            Assert.Null(db.Set<Entity50>().Find(7, 2)!.Note);
            db.Add(new Entity25 { Id = 1, Part = 1, Name = "runtime" });
            db.SaveChanges();
        }

        using (var db = new FiftyEntityContext(_temp.Db()))
        {
            Assert.Equal("runtime", db.Set<Entity25>().Single().Name);
        }
    }

    [Fact]
    public void Dotnet_ef_finds_design_time_services_that_can_write_a_compiled_model()
    {
        // Regression: with no design-time services, dbcontext optimize failed with "Unable to resolve service for type
        // ICSharpRuntimeAnnotationCodeGenerator".
        var attribute = typeof(LsmDesignTimeServices).Assembly.GetCustomAttribute<DesignTimeProviderServicesAttribute>();
        Assert.NotNull(attribute);
        Assert.Equal(typeof(LsmDesignTimeServices), typeof(LsmDesignTimeServices).Assembly.GetType(attribute.TypeName, throwOnError: true));

        var services = new ServiceCollection().AddEntityFrameworkDesignTimeServices();
        new LsmDesignTimeServices().ConfigureDesignTimeServices(services);
        using var provider = services.BuildServiceProvider();
#pragma warning disable EF1001 // The service dotnet ef dbcontext optimize resolves lives in an Internal namespace of EF.
        Assert.IsType<CSharpRuntimeAnnotationCodeGenerator>(provider.GetRequiredService<ICSharpRuntimeAnnotationCodeGenerator>());
#pragma warning restore EF1001
    }
}
