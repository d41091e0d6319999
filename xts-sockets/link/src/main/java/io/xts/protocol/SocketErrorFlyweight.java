package io.xts.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static io.xts.protocol.SocketMessages.ERROR_ERRNO_OFFSET;
import static io.xts.protocol.SocketMessages.ERROR_MAX_TEXT;
import static io.xts.protocol.SocketMessages.ERROR_MIN_LENGTH;
import static io.xts.protocol.SocketMessages.ERROR_OFFENDING_TYPE_OFFSET;
import static io.xts.protocol.SocketMessages.ERROR_TEXT_LENGTH_OFFSET;
import static io.xts.protocol.SocketMessages.ERROR_TEXT_OFFSET;

/**
 * Body of ERROR (proxy to app): a message the proxy could not act on, with the errno, the offending
 * message's type and a UTF-8 text saying what was wrong (unknown socket id, malformed body, refused option).
 */
public final class SocketErrorFlyweight extends SocketBodyFlyweight<SocketErrorFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = ERROR_MIN_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public SocketErrorFlyweight()
    {
    }

    @Override
    protected SocketErrorFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return LENGTH;
    }

    /**
     * @return errno.
     */
    public int errno()
    {
        return i32(ERROR_ERRNO_OFFSET);
    }

    /**
     * @param value errno.
     * @return this.
     */
    public SocketErrorFlyweight errno(final int value)
    {
        i32(ERROR_ERRNO_OFFSET, value);
        return this;
    }

    /**
     * @return u16 type of the offending message.
     */
    public int offendingType()
    {
        return u16(ERROR_OFFENDING_TYPE_OFFSET);
    }

    /**
     * @param value u16 type of the offending message.
     * @return this.
     */
    public SocketErrorFlyweight offendingType(final int value)
    {
        u16(ERROR_OFFENDING_TYPE_OFFSET, value);
        return this;
    }

    /**
     * @return the text, cut to the body; empty when absent.
     */
    public String text()
    {
        final int n = Math.min(u16(ERROR_TEXT_LENGTH_OFFSET), length - ERROR_TEXT_OFFSET);
        if (n <= 0)
        {
            return "";
        }
        final byte[] bytes = new byte[n];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE,
            offset + ERROR_TEXT_OFFSET, bytes, 0, n);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Write every field; the text is cut to {@link SocketMessages#ERROR_MAX_TEXT} bytes.
     *
     * @param errno         errno.
     * @param offendingType type of the message that could not be acted on.
     * @param text          what was wrong.
     * @return bytes of body written.
     */
    public int write(final int errno, final int offendingType, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(Math.min(bytes.length, ERROR_MAX_TEXT), length - ERROR_TEXT_OFFSET);
        errno(errno).offendingType(offendingType);
        u16(ERROR_TEXT_LENGTH_OFFSET, n);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE,
            offset + ERROR_TEXT_OFFSET, n);
        return ERROR_TEXT_OFFSET + n;
    }

    /**
     * @param text the text to send.
     * @return body bytes {@link #write} needs for it.
     */
    public static int lengthFor(final String text)
    {
        return ERROR_TEXT_OFFSET + Math.min(text.getBytes(StandardCharsets.UTF_8).length,
            ERROR_MAX_TEXT);
    }
}
