using EFCore.Lsm.RowEncoding.Internal;

namespace EFCore.Lsm.Tests.RowEncoding;

/// <summary>Assertions for code that takes ref-struct readers, which lambdas cannot capture.</summary>
internal static class MessagePackAssert
{
    public delegate void ReaderAction(ref MessagePackReader reader);

    /// <summary>Runs <paramref name="action"/> and demands a <see cref="MessagePackFormatException"/>; any other exception escapes and fails the test.</summary>
    public static MessagePackFormatException ThrowsFormat(MessagePackReader reader, ReaderAction action)
    {
        try
        {
            action(ref reader);
        }
        catch (MessagePackFormatException e)
        {
            return e;
        }

        Assert.Fail("Expected a MessagePackFormatException, but the read succeeded.");
        return null!;
    }

    public static MessagePackFormatException ThrowsFormat(byte[] buffer, ReaderAction action) =>
        ThrowsFormat(new MessagePackReader(buffer), action);
}
