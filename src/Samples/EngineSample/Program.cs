Console.WriteLine("EFCore.Lsm engine sample");
