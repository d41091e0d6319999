package io.xts.protocol;

import java.net.InetSocketAddress;

import static io.xts.protocol.SocketMessages.LISTEN_RESULT_BOUND_OFFSET;
import static io.xts.protocol.SocketMessages.LISTEN_RESULT_ERRNO_OFFSET;
import static io.xts.protocol.SocketMessages.LISTEN_RESULT_LENGTH;

/**
 * Body of LISTEN_RESULT (proxy to app): errno (0 when listening) and the address actually bound.
 */
public final class ListenResultFlyweight extends SocketBodyFlyweight<ListenResultFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = LISTEN_RESULT_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public ListenResultFlyweight()
    {
    }

    @Override
    protected ListenResultFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return LENGTH;
    }

    /**
     * @return errno, 0 when listening.
     */
    public int errno()
    {
        return i32(LISTEN_RESULT_ERRNO_OFFSET);
    }

    /**
     * @param value errno, 0 when listening.
     * @return this.
     */
    public ListenResultFlyweight errno(final int value)
    {
        i32(LISTEN_RESULT_ERRNO_OFFSET, value);
        return this;
    }

    /**
     * @return the address bound, or null when none.
     */
    public InetSocketAddress bound()
    {
        return address(LISTEN_RESULT_BOUND_OFFSET);
    }

    /**
     * @param value the address bound; null for none.
     * @return this.
     */
    public ListenResultFlyweight bound(final InetSocketAddress value)
    {
        return address(LISTEN_RESULT_BOUND_OFFSET, value);
    }
}
