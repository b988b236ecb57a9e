using EFCore.Lsm.DbBench;

return BenchHarness.Run(args, Console.Out);
