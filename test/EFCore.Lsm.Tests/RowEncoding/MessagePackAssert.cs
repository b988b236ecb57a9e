using EFCore.Lsm.RowEncoding.Internal;
using MessagePack;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>Assertions for code that takes ref-struct readers, which lambdas cannot capture.</summary>
internal static class MessagePackAssert
{
    public delegate void ReaderAction(ref MessagePackReader reader);

    public delegate void WriterAction(ref MessagePackWriter writer);

    /// <summary>
    /// Runs <paramref name="action"/> and demands a <see cref="MessagePackFormatException"/>. An exception the MessagePack
    /// package raised itself is accepted only if <see cref="MessagePackFormatException.IsPackageError"/> covers it (the
    /// provider translates exactly those wherever it reads stored data) and is returned translated; any other exception
    /// escapes and fails the test.
    /// </summary>
    public static MessagePackFormatException ThrowsFormat(MessagePackReader reader, ReaderAction action)
    {
        var start = reader.Consumed;
        try
        {
            action(ref reader);
        }
        catch (MessagePackFormatException e)
        {
            return e;
        }
        catch (Exception e) when (MessagePackFormatException.IsPackageError(e))
        {
            return MessagePackFormatException.FromPackage(e, reader.Sequence, start, "a value");
        }

        Assert.Fail("Expected a MessagePackFormatException, but the read succeeded.");
        return null!;
    }

    public static MessagePackFormatException ThrowsFormat(byte[] buffer, ReaderAction action) =>
        ThrowsFormat(new MessagePackReader(buffer), action);

    /// <summary>The bytes <paramref name="write"/> produces through the package's writer (flushed).</summary>
    public static byte[] Encode(WriterAction write)
    {
        using var buffer = new PooledByteBufferWriter();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.ToArray();
    }

    public static string EncodeHex(WriterAction write) => Convert.ToHexString(Encode(write));
}
