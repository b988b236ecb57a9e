using EFCore.Lsm.Specification.Tests.TestUtilities;
using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Inheritance;

/// <summary>Queries over a TPH hierarchy, modelled on EF's InheritanceQuery and TPH specification tests.</summary>
public static class InheritanceQueries
{
    private static IQueryable<Animal> A(IQuerySource s) => s.Set<Animal>();

    private static QueryCase Q(string name, Func<IQuerySource, object?> run, bool ordered = false) =>
        new("Inheritance", name, run) { Ordered = ordered };

    public static IEnumerable<QueryCase> All()
    {
        yield return Q("base set", s => A(s).ToList());
        yield return Q("base set ordered", s => A(s).OrderBy(a => a.Id).ToList(), ordered: true);
        yield return Q("derived set", s => s.Set<Bird>().ToList());
        yield return Q("leaf set", s => s.Set<Kiwi>().ToList());
        yield return Q("abstract middle set", s => s.Set<Mammal>().ToList());
        yield return Q("leaf set with filter", s => s.Set<Dog>().Where(d => d.Legs == 4).ToList());
        yield return Q("OfType leaf", s => A(s).OfType<Cat>().ToList());
        yield return Q("OfType middle", s => A(s).OfType<Bird>().Select(b => b.Name).ToList());
        yield return Q("OfType base", s => s.Set<Kiwi>().OfType<Bird>().ToList());
        yield return Q("OfType then filter derived property", s => A(s).OfType<Eagle>().Where(e => e.Group == "Haliaeetus").ToList());
        yield return Q("is", s => A(s).Where(a => a is Dog).ToList());
        yield return Q("is middle", s => A(s).Where(a => a is Mammal).Select(a => a.Name).ToList());
        yield return Q("as derived then member", s => A(s).Select(a => (a as Bird) == null ? "-" : a.Name).ToList());
        yield return Q("is not", s => A(s).Where(a => !(a is Bird)).Select(a => a.Id).ToList());
        yield return Q("is on derived set", s => s.Set<Bird>().Where(b => b is Kiwi).ToList());
        yield return Q("cast in predicate", s => A(s).Where(a => a is Cat && ((Cat)a).Lives > 8).ToList());
        yield return Q("as in predicate", s => A(s).Where(a => (a as Dog) != null).Select(a => a.Name).ToList());
        yield return Q("GetType equality", s => A(s).Where(a => a.GetType() == typeof(Kiwi)).ToList());
        yield return Q("GetType of abstract", s => A(s).Where(a => a.GetType() == typeof(Mammal)).ToList());
        yield return Q("derived property in projection", s => A(s).Select(a => a is Dog ? ((Dog)a).Breed : "").ToList());
        yield return Q("as in projection", s => A(s).OrderBy(a => a.Id).Select(a => new { a.Name, Lives = a is Cat ? (int?)((Cat)a).Lives : null }).ToList(), ordered: true);
        yield return Q("sibling properties of one name", s => A(s).Select(a => new { Dog = a is Dog ? ((Dog)a).Sound : null, Cat = a is Cat ? ((Cat)a).Sound : null }).ToList());
        yield return Q("count by type", s => new[] { A(s).Count(), A(s).OfType<Bird>().Count(), A(s).Count(a => a is Dog), s.Set<Kiwi>().Count() });
        yield return Q("group by discriminated type", s => A(s).GroupBy(a => a is Bird).Select(g => new { g.Key, N = g.Count() }).ToList());
        yield return Q("aggregate over derived", s => s.Set<Mammal>().Sum(m => m.Legs));
        yield return Q("order by derived property", s => s.Set<Dog>().OrderBy(d => d.Breed).Select(d => d.Name).ToList(), ordered: true);
        yield return Q("first of derived", s => s.Set<Cat>().OrderBy(c => c.Lives).First());
        yield return Q("key lookup through base", s => A(s).Where(a => a.Id == 3).ToList());
        yield return Q("key lookup through derived type of other row", s => s.Set<Dog>().Where(d => d.Id == 1).ToList());
        yield return Q("key range through derived", s => s.Set<Bird>().Where(b => b.Id > 2 && b.Id < 6).ToList());
        yield return Q("navigation to principal", s => A(s).Where(a => a.Zoo != null && a.Zoo.City == "Berlin").Select(a => a.Name).ToList());
        yield return Q("collection of base type", s => s.Set<Zoo>().Select(z => new { z.City, Names = z.Animals.Select(a => a.Name).ToList() }).ToList());
        yield return Q("collection filtered by type", s => s.Set<Zoo>().Select(z => new { z.City, Birds = z.Animals.OfType<Bird>().Count() }).ToList());
        yield return new QueryCase("Inheritance", "include collection of base", s => s.Set<Zoo>().Include(z => z.Animals).ToList()) { Navigations = ["Animals"] };
        yield return new QueryCase("Inheritance", "include reference from derived", s => s.Set<Dog>().Include(d => d.Zoo).ToList()) { Navigations = ["Zoo"] };
        yield return new QueryCase("Inheritance", "include derived navigation", s => s.Set<Eagle>().Include(e => e.Prey).ToList()) { Navigations = ["Prey"] };
        yield return new QueryCase("Inheritance", "include on base with cast", s => A(s).Include(a => ((Eagle)a).Prey).ToList()) { Navigations = ["Prey"] };
        yield return Q("join between types", s => (from e in s.Set<Eagle>() join b in s.Set<Bird>() on e.Id equals b.PreyId select new { Eagle = e.Name, Prey = b.Name }).ToList());
        yield return Q("union of siblings", s => s.Set<Dog>().Select(d => d.Name).Union(s.Set<Cat>().Select(c => c.Name)).ToList());
        yield return Q("concat of derived entities", s => A(s).Where(a => a is Kiwi).Concat(A(s).Where(a => a is Dog)).ToList());
        yield return Q("distinct names", s => A(s).Select(a => a.Name.Length).Distinct().ToList());
        yield return Q("any of derived", s => A(s).Any(a => a is Kiwi && ((Kiwi)a).FoundOnSouthIsland));
        yield return Q("subquery over derived", s => s.Set<Zoo>().Where(z => z.Animals.OfType<Cat>().Any(c => c.Lives == 9)).Select(z => z.Id).ToList());
    }
}
