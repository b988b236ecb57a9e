using System.Diagnostics.Metrics;
using EFCore.Lsm.Engine.Diagnostics;
using EFCore.Lsm.Engine.Storage;

namespace EFCore.Lsm.Engine.Tests.Diagnostics;

public class MetricsTests
{
    [Fact]
    public void Meter_reports_bytes_levels_cache_and_latencies_of_an_open_database()
    {
        const string path = "/metrics-db";
        var longs = new List<(string Name, long Value, Dictionary<string, object?> Tags)>();
        var doubles = new List<(string Name, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LsmMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (longs)
            {
                longs.Add((instrument.Name, value, Tags(tags)));
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            lock (doubles)
            {
                doubles.Add((instrument.Name, value, Tags(tags)));
            }
        });
        listener.Start();

        using var db = LsmDatabase.Open(path, new LsmOptions { FileSystem = new MemoryFileSystem() });
        for (var i = 0; i < 100; i++)
        {
            db.Put(BitConverter.GetBytes(i), new byte[50]);
        }

        db.Flush();
        Assert.NotNull(db.Get(BitConverter.GetBytes(7)));
        listener.RecordObservableInstruments();

        List<(string Name, long Value, Dictionary<string, object?> Tags)> ours;
        lock (longs)
        {
            ours = longs.Where(m => Equals(m.Tags.GetValueOrDefault("lsm.db"), path)).ToList();
        }

        Assert.Contains(ours, m => m.Name == "lsm.bytes.written" && Equals(m.Tags["kind"], "user") && m.Value >= 100 * 54);
        Assert.Contains(ours, m => m.Name == "lsm.bytes.written" && Equals(m.Tags["kind"], "flush") && m.Value > 0);
        Assert.Contains(ours, m => m.Name == "lsm.level.files" && Equals(m.Tags["level"], 0) && m.Value == 1);
        Assert.Contains(ours, m => m.Name == "lsm.writes" && m.Value == 100);
        lock (doubles)
        {
            Assert.Contains(doubles, m => m.Name == "lsm.get.duration" && Equals(m.Tags.GetValueOrDefault("lsm.db"), path) && m.Value > 0);
            Assert.Equal(100, doubles.Count(m => m.Name == "lsm.write.duration" && Equals(m.Tags.GetValueOrDefault("lsm.db"), path)));
        }
    }

    [Fact]
    public void Writer_waits_and_background_busy_time_are_reported_by_cause()
    {
        const string path = "/metrics-waits-db";
        var doubles = new List<(string Name, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LsmMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            lock (doubles)
            {
                doubles.Add((instrument.Name, value, Tags(tags)));
            }
        });
        listener.Start();

        using var db = LsmDatabase.Open(path, new LsmOptions { FileSystem = new MemoryFileSystem() });
        var synced = new WriteOptions { Sync = true };
        for (var i = 0; i < 5; i++)
        {
            db.Put(BitConverter.GetBytes(i), new byte[50], synced);
        }

        db.Put("unsynced"u8, "v"u8);
        db.Flush();
        listener.RecordObservableInstruments();

        // One writer: every synced put leads its own group and syncs once; the unsynced one does not sync.
        var stats = db.GetProperty(LsmDatabase.Properties.Stats)!;
        Assert.Contains("WAL syncs 5,", stats, StringComparison.Ordinal);
        Assert.Contains("commit queue 0 waits", stats, StringComparison.Ordinal);
        lock (doubles)
        {
            var ours = doubles.Where(m => Equals(m.Tags.GetValueOrDefault("lsm.db"), path)).ToList();
            var causes = ours.Where(m => m.Name == "lsm.write.wait.time").Select(m => (string)m.Tags["cause"]!).Order().ToArray();
            Assert.Equal(["commit_queue", "level0", "memtables", "slowdown", "wal_sync"], causes);
            Assert.Contains(ours, m => m.Name == "lsm.background.busy.time" && Equals(m.Tags["kind"], "flush") && m.Value > 0);
            Assert.Contains(ours, m => m.Name == "lsm.background.busy.time" && Equals(m.Tags["kind"], "compaction") && m.Value == 0);
        }
    }

    [Fact]
    public void A_multi_get_is_one_measurement_of_its_own_histogram_with_its_number_of_keys_beside_it()
    {
        const string path = "/metrics-multiget-db";
        var doubles = new List<(string Name, double Value)>();
        var longs = new List<(string Name, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LsmMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (Equals(Tags(tags).GetValueOrDefault("lsm.db"), path))
            {
                lock (doubles)
                {
                    doubles.Add((instrument.Name, value));
                }
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "lsm.multiget.keys" && Equals(Tags(tags).GetValueOrDefault("lsm.db"), path))
            {
                lock (longs)
                {
                    longs.Add((instrument.Name, value));
                }
            }
        });
        listener.Start();

        using var db = LsmDatabase.Open(path, new LsmOptions { FileSystem = new MemoryFileSystem() });
        for (var i = 0; i < 100; i++)
        {
            db.Put(BitConverter.GetBytes(i), new byte[50]);
        }

        db.Flush();
        db.Put(BitConverter.GetBytes(7), new byte[3]);
        var values = db.MultiGet([BitConverter.GetBytes(7), BitConverter.GetBytes(90), BitConverter.GetBytes(1_000), BitConverter.GetBytes(7)]);
        Assert.Equal([3, 50, -1, 3], values.Select(v => v?.Length ?? -1));
        Assert.Empty(db.MultiGet([]));

        lock (doubles)
        {
            var multiGets = doubles.Where(m => m.Name == "lsm.multiget.duration").ToList();
            Assert.Equal(2, multiGets.Count);
            Assert.True(multiGets[0].Value > 0);
            Assert.DoesNotContain(doubles, m => m.Name == "lsm.get.duration");
        }

        lock (longs)
        {
            Assert.Equal([4L, 0L], longs.Select(m => m.Value));
        }
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }
}
