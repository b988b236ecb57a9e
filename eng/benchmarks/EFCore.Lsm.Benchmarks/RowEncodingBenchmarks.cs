using BenchmarkDotNet.Attributes;
using EFCore.Lsm.Query.Internal;
using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Benchmarks;

/// <summary>
/// Row values (docs/row_encoding.md) encoded and decoded per row, over 1,000 customer-shaped rows (int id, two short
/// strings, decimal balance, DateTime, bool, long, double, nullable Guid) and 1,000 rows of every supported type. Typed: the
/// generic RowWriter/RowReader calls. Boxed: the per-property ProviderValueCodec path EF's update entries and value
/// buffers use (boxed values in and out, as LsmEntityMapping.EncodeRow/DecodeRow do). FindOne reads a single property,
/// as a query that needs one column does. LocateAndTest/LocateAndRead are a scan loop's filter and aggregate on the stored
/// row. Encoding, locating and testing reuse buffers and must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class RowEncodingBenchmarks
{
    private const int Rows = 1_000;

    private static readonly ProviderValueCodec[] CustomerCodecs =
    [
        Codec<int>(), Codec<string>(), Codec<string>(), Codec<decimal>(), Codec<DateTime>(), Codec<bool>(), Codec<long>(),
        Codec<double>(), Codec<Guid>(),
    ];

    // Property id → index of the located value: id 3 (City), id 4 (Balance).
    private static readonly int[] LocateCity = [-1, -1, -1, 0];
    private static readonly int[] LocateBalance = [-1, -1, -1, -1, 0];

    private readonly LsmBoundSlotTest _cityIsOslo = LsmSlotTest.ForString(0, LsmComparison.Equal, 0, negated: false).Bind("Oslo");
    private readonly PooledByteBufferWriter _buffer = new(4096);
    private Customer[] _customers = [];
    private object?[][] _boxedCustomers = [];
    private byte[][] _customerRows = [];
    private byte[][] _allTypesRows = [];
    private AllTypes[] _allTypes = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        string[] cities = ["Oslo", "Lisboa", "Zürich", "Kraków", "São Paulo", "Reykjavík"];
        _customers = [.. Enumerable.Range(0, Rows).Select(i => new Customer(
            i,
            "Customer " + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture),
            cities[random.Next(cities.Length)],
            random.Next(-1_000_000, 10_000_000) / 100m,
            new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(200_000_000)),
            random.Next(2) == 0,
            random.NextInt64(),
            random.NextDouble() * 1000,
            random.Next(4) == 0 ? null : Guid.CreateVersion7()))];
        _boxedCustomers = [.. _customers.Select(c => new object?[]
        {
            c.Id, c.Name, c.City, c.Balance, c.Created, c.Active, c.Visits, c.Score, c.Referrer,
        })];
        _allTypes = [.. Enumerable.Range(0, Rows).Select(i => new AllTypes(random, i))];
        _customerRows = [.. _customers.Select(c =>
        {
            EncodeCustomer(c);
            return _buffer.ToArray();
        })];
        _allTypesRows = [.. _allTypes.Select(a =>
        {
            a.Encode(_buffer);
            return _buffer.ToArray();
        })];
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    [Benchmark(OperationsPerInvoke = Rows)]
    public int EncodeCustomerTyped()
    {
        var bytes = 0;
        foreach (var customer in _customers)
        {
            EncodeCustomer(customer);
            bytes += _buffer.WrittenCount;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public int EncodeCustomerBoxed()
    {
        var bytes = 0;
        foreach (var values in _boxedCustomers)
        {
            _buffer.Reset();
            var row = new RowWriter(_buffer, values.Length);
            for (var p = 0; p < values.Length; p++)
            {
                row.WritePropertyId((uint)p + 1);
                CustomerCodecs[p].WriteValue(ref row.ValueWriter, values[p]);
            }

            row.Complete();
            bytes += _buffer.WrittenCount;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public long DecodeCustomerTyped()
    {
        long checksum = 0;
        foreach (var bytes in _customerRows)
        {
            using var row = new RowReader(bytes);
            while (row.MoveNext())
            {
                checksum += row.PropertyId switch
                {
                    1 => row.ReadValue<int>(),
                    2 or 3 => row.ReadValue<string>()!.Length,
                    4 => (long)row.ReadValue<decimal>(),
                    5 => row.ReadValue<DateTime>().Ticks,
                    6 => row.ReadValue<bool>() ? 1 : 0,
                    7 => row.ReadValue<long>(),
                    8 => (long)row.ReadValue<double>(),
                    _ => row.ReadValue<Guid?>()?.GetHashCode() ?? 0,
                };
            }
        }

        return checksum;
    }

    /// <summary>What a query's value buffer costs: every property decoded to a boxed value in an object array.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public int DecodeCustomerBoxed()
    {
        var nonNull = 0;
        foreach (var bytes in _customerRows)
        {
            var values = new object?[CustomerCodecs.Length];
            using var row = new RowReader(bytes);
            for (var p = 0; p < values.Length; p++)
            {
                if (row.TryFind((uint)p + 1))
                {
                    var reader = row.ValueReader;
                    values[p] = CustomerCodecs[p].ReadValue(ref reader);
                    nonNull += values[p] is null ? 0 : 1;
                }
            }
        }

        return nonNull;
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public long FindOneCustomerProperty()
    {
        long checksum = 0;
        foreach (var bytes in _customerRows)
        {
            using var row = new RowReader(bytes);
            if (row.TryReadValue(7, out long visits))
            {
                checksum += visits;
            }
        }

        return checksum;
    }

    /// <summary>
    /// A scan's filter on the stored row (LsmEncodedRowScan): City located by headers alone, compared as UTF-8 with a
    /// parameter; nothing decoded, nothing allocated.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public int LocateAndTestCustomerCity()
    {
        var matches = 0;
        Span<int> starts = stackalloc int[1];
        Span<int> lengths = stackalloc int[1];
        foreach (var bytes in _customerRows)
        {
            starts[0] = -1;
            RowValueLocator.Locate(bytes, LocateCity, 1, starts, lengths);
            if (_cityIsOslo.Evaluate(bytes.AsSpan(starts[0], lengths[0])) == LsmRowVerdict.Match)
            {
                matches++;
            }
        }

        return matches;
    }

    /// <summary>An aggregate's typed read in the scan loop: Balance located by headers, read as decimal by the MessagePack package.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public decimal LocateAndReadCustomerBalance()
    {
        var sum = 0m;
        Span<int> starts = stackalloc int[1];
        Span<int> lengths = stackalloc int[1];
        foreach (var bytes in _customerRows)
        {
            starts[0] = -1;
            RowValueLocator.Locate(bytes, LocateBalance, 1, starts, lengths);
            var reader = new MessagePackReader(new ReadOnlyMemory<byte>(bytes, starts[0], lengths[0]));
            sum += RowValueCodec.Read<decimal>(ref reader);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public int EncodeAllTypes()
    {
        var bytes = 0;
        foreach (var value in _allTypes)
        {
            value.Encode(_buffer);
            bytes += _buffer.WrittenCount;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public long DecodeAllTypes()
    {
        long checksum = 0;
        foreach (var bytes in _allTypesRows)
        {
            checksum += AllTypes.Decode(bytes);
        }

        return checksum;
    }

    private static ProviderValueCodec Codec<T>() => ProviderValueCodec.Find(typeof(T))!;

    private void EncodeCustomer(Customer c)
    {
        _buffer.Reset();
        var row = new RowWriter(_buffer, 9);
        row.WriteValue(1, c.Id);
        row.WriteValue(2, c.Name);
        row.WriteValue(3, c.City);
        row.WriteValue(4, c.Balance);
        row.WriteValue(5, c.Created);
        row.WriteValue(6, c.Active);
        row.WriteValue(7, c.Visits);
        row.WriteValue(8, c.Score);
        row.WriteValue(9, c.Referrer);
        row.Complete();
    }

    private sealed record Customer(
        int Id, string Name, string City, decimal Balance, DateTime Created, bool Active, long Visits, double Score, Guid? Referrer);

    /// <summary>One value of every supported type, in a row of ids 1..21.</summary>
    private sealed class AllTypes(Random random, int i)
    {
        private readonly bool _bool = i % 2 == 0;
        private readonly sbyte _sbyte = (sbyte)random.Next(sbyte.MinValue, sbyte.MaxValue);
        private readonly byte _byte = (byte)random.Next(256);
        private readonly short _short = (short)random.Next(short.MinValue, short.MaxValue);
        private readonly ushort _ushort = (ushort)random.Next(ushort.MaxValue);
        private readonly int _int = random.Next(int.MinValue, int.MaxValue);
        private readonly uint _uint = (uint)random.NextInt64(uint.MaxValue);
        private readonly long _long = random.NextInt64(long.MinValue, long.MaxValue);
        private readonly ulong _ulong = (ulong)random.NextInt64() * 2;
        private readonly char _char = (char)random.Next(32, 0xd7ff);
        private readonly float _float = (float)random.NextDouble();
        private readonly double _double = random.NextDouble();
        private readonly decimal _decimal = new(random.Next(), random.Next(), 0, random.Next(2) == 0, (byte)random.Next(10));
        private readonly string _string = "value-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        private readonly byte[] _bytes = [(byte)i, (byte)(i >> 8), 1, 2, 3, 4, 5, 6];
        private readonly Guid _guid = Guid.CreateVersion7();
        private readonly DateTime _dateTime = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(1L << 50));
        private readonly DateTimeOffset _dateTimeOffset = new(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(random.Next(-12, 13)));
        private readonly DateOnly _dateOnly = DateOnly.FromDayNumber(random.Next(3_000_000));
        private readonly TimeOnly _timeOnly = new(random.NextInt64(TimeOnly.MaxValue.Ticks));
        private readonly TimeSpan _timeSpan = TimeSpan.FromTicks(random.NextInt64());

        public void Encode(PooledByteBufferWriter buffer)
        {
            buffer.Reset();
            var row = new RowWriter(buffer, 21);
            row.WriteValue(1, _bool);
            row.WriteValue(2, _sbyte);
            row.WriteValue(3, _byte);
            row.WriteValue(4, _short);
            row.WriteValue(5, _ushort);
            row.WriteValue(6, _int);
            row.WriteValue(7, _uint);
            row.WriteValue(8, _long);
            row.WriteValue(9, _ulong);
            row.WriteValue(10, _char);
            row.WriteValue(11, _float);
            row.WriteValue(12, _double);
            row.WriteValue(13, _decimal);
            row.WriteValue(14, _string);
            row.WriteValue(15, _bytes);
            row.WriteValue(16, _guid);
            row.WriteValue(17, _dateTime);
            row.WriteValue(18, _dateTimeOffset);
            row.WriteValue(19, _dateOnly);
            row.WriteValue(20, _timeOnly);
            row.WriteValue(21, _timeSpan);
            row.Complete();
        }

        public static long Decode(byte[] bytes)
        {
            long checksum = 0;
            using var row = new RowReader(bytes);
            while (row.MoveNext())
            {
                checksum += row.PropertyId switch
                {
                    1 => row.ReadValue<bool>() ? 1 : 0,
                    2 => row.ReadValue<sbyte>(),
                    3 => row.ReadValue<byte>(),
                    4 => row.ReadValue<short>(),
                    5 => row.ReadValue<ushort>(),
                    6 => row.ReadValue<int>(),
                    7 => row.ReadValue<uint>(),
                    8 => row.ReadValue<long>(),
                    9 => (long)row.ReadValue<ulong>(),
                    10 => row.ReadValue<char>(),
                    11 => (long)row.ReadValue<float>(),
                    12 => (long)row.ReadValue<double>(),
                    13 => (long)row.ReadValue<decimal>(),
                    14 => row.ReadValue<string>()!.Length,
                    15 => row.ReadValue<byte[]>()!.Length,
                    16 => row.ReadValue<Guid>().GetHashCode(),
                    17 => row.ReadValue<DateTime>().Ticks,
                    18 => row.ReadValue<DateTimeOffset>().UtcTicks,
                    19 => row.ReadValue<DateOnly>().DayNumber,
                    20 => row.ReadValue<TimeOnly>().Ticks,
                    _ => row.ReadValue<TimeSpan>().Ticks,
                };
            }

            return checksum;
        }
    }
}
