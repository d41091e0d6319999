package io.xts.protocol;

import java.net.InetSocketAddress;

import static io.xts.protocol.SocketMessages.LISTEN_BACKLOG_OFFSET;
import static io.xts.protocol.SocketMessages.LISTEN_FLAGS_OFFSET;
import static io.xts.protocol.SocketMessages.LISTEN_LENGTH;
import static io.xts.protocol.SocketMessages.LISTEN_LOCAL_OFFSET;
import static io.xts.protocol.SocketMessages.LISTEN_RECEIVE_WINDOW_OFFSET;

/**
 * Body of LISTEN (app to proxy; the message's stream id is the listener's id): the local address to
 * bind (port 0 for any), the backlog, the receive window the app grants each accepted socket and option flags.
 */
public final class ListenFlyweight extends SocketBodyFlyweight<ListenFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = LISTEN_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public ListenFlyweight()
    {
    }

    @Override
    protected ListenFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return LENGTH;
    }

    /**
     * @return the address to bind, or null when none.
     */
    public InetSocketAddress local()
    {
        return address(LISTEN_LOCAL_OFFSET);
    }

    /**
     * @param value the address to bind; null for none.
     * @return this.
     */
    public ListenFlyweight local(final InetSocketAddress value)
    {
        return address(LISTEN_LOCAL_OFFSET, value);
    }

    /**
     * @return backlog.
     */
    public int backlog()
    {
        return i32(LISTEN_BACKLOG_OFFSET);
    }

    /**
     * @param value backlog.
     * @return this.
     */
    public ListenFlyweight backlog(final int value)
    {
        i32(LISTEN_BACKLOG_OFFSET, value);
        return this;
    }

    /**
     * @return u32 receive window for each accepted socket.
     */
    public long receiveWindow()
    {
        return i32(LISTEN_RECEIVE_WINDOW_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param value u32 receive window for each accepted socket.
     * @return this.
     */
    public ListenFlyweight receiveWindow(final long value)
    {
        i32(LISTEN_RECEIVE_WINDOW_OFFSET, (int)value);
        return this;
    }

    /**
     * @return option flags (SocketMessages.FLAG_*).
     */
    public int flags()
    {
        return i32(LISTEN_FLAGS_OFFSET);
    }

    /**
     * @param value option flags (SocketMessages.FLAG_*).
     * @return this.
     */
    public ListenFlyweight flags(final int value)
    {
        i32(LISTEN_FLAGS_OFFSET, value);
        return this;
    }
}
