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
