using Microsoft.EntityFrameworkCore;

namespace EFCore.Lsm.Specification.Tests.Northwind;

// A Northwind-shaped model, as EF's specification tests use: string and composite keys, required and optional
// relationships, a self-reference, nullable columns, several value types.
public class Customer
{
    public string CustomerID { get; set; } = "";

    public string CompanyName { get; set; } = "";

    public string? ContactName { get; set; }

    public string City { get; set; } = "";

    public string? Region { get; set; }

    public string Country { get; set; } = "";

    public List<Order> Orders { get; set; } = [];
}

public class Order
{
    public int OrderID { get; set; }

    public string? CustomerID { get; set; }

    public Customer? Customer { get; set; }

    public int? EmployeeID { get; set; }

    public Employee? Employee { get; set; }

    public DateTime? OrderDate { get; set; }

    public decimal Freight { get; set; }

    public string? ShipCity { get; set; }

    public List<OrderDetail> OrderDetails { get; set; } = [];
}

public class OrderDetail
{
    public int OrderID { get; set; }

    public int ProductID { get; set; }

    public decimal UnitPrice { get; set; }

    public short Quantity { get; set; }

    public float Discount { get; set; }

    public Order Order { get; set; } = null!;

    public Product Product { get; set; } = null!;
}

public class Product
{
    public int ProductID { get; set; }

    public string ProductName { get; set; } = "";

    public decimal? UnitPrice { get; set; }

    public short UnitsInStock { get; set; }

    public bool Discontinued { get; set; }

    public int? CategoryID { get; set; }

    public Category? Category { get; set; }

    public List<OrderDetail> OrderDetails { get; set; } = [];
}

public class Category
{
    public int CategoryID { get; set; }

    public string CategoryName { get; set; } = "";

    public byte[]? Picture { get; set; }

    public List<Product> Products { get; set; } = [];
}

public class Employee
{
    public int EmployeeID { get; set; }

    public string FirstName { get; set; } = "";

    public string LastName { get; set; } = "";

    public string City { get; set; } = "";

    public int? ReportsTo { get; set; }

    public Employee? Manager { get; set; }

    public List<Employee> Reports { get; set; } = [];

    public List<Order> Orders { get; set; } = [];
}

public class NorthwindContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<OrderDetail> OrderDetails => Set<OrderDetail>();

    public DbSet<Product> Products => Set<Product>();

    public DbSet<Category> Categories => Set<Category>();

    public DbSet<Employee> Employees => Set<Employee>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Customer>().HasKey(c => c.CustomerID);
        modelBuilder.Entity<Order>().Property(o => o.OrderID).ValueGeneratedNever();
        modelBuilder.Entity<Order>().HasOne(o => o.Customer).WithMany(c => c.Orders).HasForeignKey(o => o.CustomerID);
        modelBuilder.Entity<Order>().HasOne(o => o.Employee).WithMany(e => e.Orders).HasForeignKey(o => o.EmployeeID);
        modelBuilder.Entity<OrderDetail>().HasKey(d => new { d.OrderID, d.ProductID });
        modelBuilder.Entity<Product>().Property(p => p.ProductID).ValueGeneratedNever();
        modelBuilder.Entity<Category>().Property(c => c.CategoryID).ValueGeneratedNever();
        modelBuilder.Entity<Employee>().Property(e => e.EmployeeID).ValueGeneratedNever();
        modelBuilder.Entity<Employee>().HasOne(e => e.Manager).WithMany(e => e.Reports).HasForeignKey(e => e.ReportsTo);
        modelBuilder.Entity<Product>().HasIndex(p => p.ProductName);
    }
}

/// <summary>The seeded data: a pure function of the seed, with every navigation fixed up (the LINQ-to-objects oracle reads them).</summary>
public sealed class NorthwindData
{
    private static readonly string[] Cities = ["Berlin", "London", "Madrid", "México D.F.", "Paris", "Sevilla", "Århus", "Zürich"];
    private static readonly string[] Countries = ["Germany", "UK", "Spain", "Mexico", "France", "Spain", "Denmark", "Switzerland"];
    private static readonly string[] Names = ["Alfreds", "Ana", "Antonio", "Around", "Berglunds", "Blauer", "Blondel", "Bólido", "Bon", "Bottom",
        "Cactus", "Centro", "Chop-suey", "Comércio", "Consolidated", "Drachenblut", "Du monde", "Eastern", "Ernst", "Familia"];

    public NorthwindData(int seed = 1234)
    {
        var random = new Random(seed);
        for (var i = 0; i < 20; i++)
        {
            var city = random.Next(Cities.Length);
            Customers.Add(new Customer
            {
                CustomerID = Names[i][..3].ToUpperInvariant() + (char)('A' + i),
                CompanyName = Names[i] + " " + (i % 3 == 0 ? "Futterkiste" : i % 3 == 1 ? "Trading" : "Markets"),
                ContactName = i % 5 == 4 ? null : "Contact " + Names[(i * 7) % Names.Length],
                City = Cities[city],
                Region = i % 4 == 0 ? "R" + (i % 3) : null,
                Country = Countries[city],
            });
        }

        for (var i = 1; i <= 4; i++)
        {
            Categories.Add(new Category
            {
                CategoryID = i,
                CategoryName = new[] { "Beverages", "Condiments", "Confections", "Dairy" }[i - 1],
                Picture = i % 2 == 0 ? [(byte)i, 0, 255] : null,
            });
        }

        for (var i = 1; i <= 12; i++)
        {
            Products.Add(new Product
            {
                ProductID = i,
                ProductName = new[] { "Chai", "Chang", "Aniseed Syrup", "Chef Anton's", "Grandma's", "Uncle Bob's", "Northwoods", "Mishi Kobe",
                    "Ikura", "Queso", "Konbu", "Tofu" }[i - 1],
                UnitPrice = i % 6 == 0 ? null : Math.Round((decimal)(random.NextDouble() * 90 + 5), 2),
                UnitsInStock = (short)random.Next(0, 120),
                Discontinued = i % 4 == 0,
                CategoryID = i % 5 == 0 ? null : (i % 4) + 1,
            });
        }

        for (var i = 1; i <= 9; i++)
        {
            Employees.Add(new Employee
            {
                EmployeeID = i,
                FirstName = new[] { "Nancy", "Andrew", "Janet", "Margaret", "Steven", "Michael", "Robert", "Laura", "Anne" }[i - 1],
                LastName = "Last" + (char)('A' + (i * 3) % 9),
                City = i % 2 == 0 ? "London" : "Seattle",
                ReportsTo = i == 2 ? null : i <= 5 ? 2 : 5,
            });
        }

        var orderDate = new DateTime(1996, 7, 4);
        for (var i = 0; i < 80; i++)
        {
            var customer = i % 17 == 16 ? null : Customers[random.Next(Customers.Count - 2)];
            orderDate = orderDate.AddDays(random.Next(1, 9));
            var order = new Order
            {
                OrderID = 10248 + i,
                CustomerID = customer?.CustomerID,
                EmployeeID = i % 11 == 10 ? null : random.Next(1, 10),
                OrderDate = i % 13 == 12 ? null : orderDate,
                Freight = Math.Round((decimal)(random.NextDouble() * 200), 2),
                ShipCity = customer?.City,
            };
            Orders.Add(order);
            var products = Enumerable.Range(1, 12).OrderBy(_ => random.Next()).Take(random.Next(1, 5)).ToList();
            foreach (var productId in products)
            {
                OrderDetails.Add(new OrderDetail
                {
                    OrderID = order.OrderID,
                    ProductID = productId,
                    UnitPrice = Products[productId - 1].UnitPrice ?? 10m,
                    Quantity = (short)random.Next(1, 60),
                    Discount = random.Next(4) * 0.05f,
                });
            }
        }

        // Key order: the order a query without OrderBy returns rows in.
        Customers.Sort((a, b) => string.CompareOrdinal(a.CustomerID, b.CustomerID));
        OrderDetails.Sort((a, b) => a.OrderID != b.OrderID ? a.OrderID.CompareTo(b.OrderID) : a.ProductID.CompareTo(b.ProductID));
        FixUp();
    }

    public List<Customer> Customers { get; } = [];

    public List<Order> Orders { get; } = [];

    public List<OrderDetail> OrderDetails { get; } = [];

    public List<Product> Products { get; } = [];

    public List<Category> Categories { get; } = [];

    public List<Employee> Employees { get; } = [];

    public IQueryable<T> Set<T>()
        where T : class =>
        typeof(T) == typeof(Customer) ? (IQueryable<T>)Customers.AsQueryable()
        : typeof(T) == typeof(Order) ? (IQueryable<T>)Orders.AsQueryable()
        : typeof(T) == typeof(OrderDetail) ? (IQueryable<T>)OrderDetails.AsQueryable()
        : typeof(T) == typeof(Product) ? (IQueryable<T>)Products.AsQueryable()
        : typeof(T) == typeof(Category) ? (IQueryable<T>)Categories.AsQueryable()
        : typeof(T) == typeof(Employee) ? (IQueryable<T>)Employees.AsQueryable()
        : throw new ArgumentException(typeof(T).Name);

    /// <summary>Adds copies of every seeded entity (without navigations) to <paramref name="context"/>.</summary>
    public void Seed(DbContext context)
    {
        context.AddRange(Customers.Select(c => new Customer
        {
            CustomerID = c.CustomerID, CompanyName = c.CompanyName, ContactName = c.ContactName, City = c.City, Region = c.Region, Country = c.Country,
        }));
        context.AddRange(Categories.Select(c => new Category { CategoryID = c.CategoryID, CategoryName = c.CategoryName, Picture = c.Picture }));
        context.AddRange(Products.Select(p => new Product
        {
            ProductID = p.ProductID, ProductName = p.ProductName, UnitPrice = p.UnitPrice, UnitsInStock = p.UnitsInStock, Discontinued = p.Discontinued,
            CategoryID = p.CategoryID,
        }));
        context.AddRange(Employees.Select(e => new Employee
        {
            EmployeeID = e.EmployeeID, FirstName = e.FirstName, LastName = e.LastName, City = e.City, ReportsTo = e.ReportsTo,
        }));
        context.AddRange(Orders.Select(o => new Order
        {
            OrderID = o.OrderID, CustomerID = o.CustomerID, EmployeeID = o.EmployeeID, OrderDate = o.OrderDate, Freight = o.Freight, ShipCity = o.ShipCity,
        }));
        context.AddRange(OrderDetails.Select(d => new OrderDetail
        {
            OrderID = d.OrderID, ProductID = d.ProductID, UnitPrice = d.UnitPrice, Quantity = d.Quantity, Discount = d.Discount,
        }));
    }

    private void FixUp()
    {
        var customers = Customers.ToDictionary(c => c.CustomerID);
        var employees = Employees.ToDictionary(e => e.EmployeeID);
        var products = Products.ToDictionary(p => p.ProductID);
        var categories = Categories.ToDictionary(c => c.CategoryID);
        var orders = Orders.ToDictionary(o => o.OrderID);
        foreach (var order in Orders)
        {
            if (order.CustomerID is { } customerId)
            {
                order.Customer = customers[customerId];
                order.Customer.Orders.Add(order);
            }

            if (order.EmployeeID is { } employeeId)
            {
                order.Employee = employees[employeeId];
                order.Employee.Orders.Add(order);
            }
        }

        foreach (var detail in OrderDetails)
        {
            detail.Order = orders[detail.OrderID];
            detail.Order.OrderDetails.Add(detail);
            detail.Product = products[detail.ProductID];
            detail.Product.OrderDetails.Add(detail);
        }

        foreach (var product in Products)
        {
            if (product.CategoryID is { } categoryId)
            {
                product.Category = categories[categoryId];
                product.Category.Products.Add(product);
            }
        }

        foreach (var employee in Employees)
        {
            if (employee.ReportsTo is { } managerId)
            {
                employee.Manager = employees[managerId];
                employee.Manager.Reports.Add(employee);
            }
        }
    }
}
