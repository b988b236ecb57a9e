using BenchmarkDotNet.Running;

// e.g. dotnet run -c Release --project eng/benchmarks/EFCore.Lsm.Benchmarks -- --job short --filter *TryGet*
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
