package io.xts.protocol;

import static io.xts.protocol.SocketMessages.RESET_ERRNO_OFFSET;
import static io.xts.protocol.SocketMessages.RESET_LENGTH;

/**
 * Body of RESET (either way): proxy to app, the errno the connection failed with (ECONNRESET when the
 * peer reset it); app to proxy, 0 (abort the connection with an RST). Either way the socket is gone afterwards.
 */
public final class SocketResetFlyweight extends SocketBodyFlyweight<SocketResetFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = RESET_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public SocketResetFlyweight()
    {
    }

    @Override
    protected SocketResetFlyweight self()
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
        return i32(RESET_ERRNO_OFFSET);
    }

    /**
     * @param value errno.
     * @return this.
     */
    public SocketResetFlyweight errno(final int value)
    {
        i32(RESET_ERRNO_OFFSET, value);
        return this;
    }
}
