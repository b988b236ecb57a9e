using System.Globalization;
using EFCore.Lsm.Etcd.FunctionalTests.Worker;
using Microsoft.EntityFrameworkCore;

// Usage: EFCore.Lsm.Etcd.FunctionalTests.Worker <endpoints> <key-prefix> <seed> <increments> <accounts>
// Reads a random account, adds 1 to its balance and its concurrency token, and saves, until <increments> saves succeeded;
// a save that loses the race fails with DbUpdateConcurrencyException and is retried with a fresh read. Prints
// "DONE <successes> <conflicts> <successes per account, comma-separated>" at the end.
var endpoints = args[0];
var prefix = args[1];
var random = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));
var increments = int.Parse(args[3], CultureInfo.InvariantCulture);
var accounts = int.Parse(args[4], CultureInfo.InvariantCulture);

var successes = new int[accounts + 1];
var conflicts = 0;
Console.Out.WriteLine("READY");
Console.Out.Flush();
for (var done = 0; done < increments;)
{
    var id = 1 + random.Next(accounts);
    using var context = new AccountContext(endpoints, prefix);
    var account = context.Accounts.Single(a => a.Id == id);
    account.Balance++;
    account.Version++;
    try
    {
        context.SaveChanges();
        successes[id]++;
        done++;
    }
    catch (DbUpdateConcurrencyException)
    {
        conflicts++;
    }
}

Console.Out.WriteLine(string.Create(
    CultureInfo.InvariantCulture, $"DONE {successes.Sum()} {conflicts} {string.Join(",", successes.Skip(1))}"));
