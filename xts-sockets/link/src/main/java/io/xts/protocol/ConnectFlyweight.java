package io.xts.protocol;

import java.net.InetSocketAddress;

import static io.xts.protocol.SocketMessages.CONNECT_FLAGS_OFFSET;
import static io.xts.protocol.SocketMessages.CONNECT_LENGTH;
import static io.xts.protocol.SocketMessages.CONNECT_RCVBUF_OFFSET;
import static io.xts.protocol.SocketMessages.CONNECT_RECEIVE_WINDOW_OFFSET;
import static io.xts.protocol.SocketMessages.CONNECT_REMOTE_OFFSET;
import static io.xts.protocol.SocketMessages.CONNECT_SNDBUF_OFFSET;
import static io.xts.protocol.SocketMessages.CONNECT_TIMEOUT_OFFSET;

/**
 * Body of CONNECT (app to proxy; the message's stream id is the new socket's id): the remote address,
 * the connect timeout, the receive window the app grants for DATA coming back, option flags and buffer sizes.
 */
public final class ConnectFlyweight extends SocketBodyFlyweight<ConnectFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = CONNECT_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public ConnectFlyweight()
    {
    }

    @Override
    protected ConnectFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return LENGTH;
    }

    /**
     * @return the address to connect to, or null when none.
     */
    public InetSocketAddress remote()
    {
        return address(CONNECT_REMOTE_OFFSET);
    }

    /**
     * @param value the address to connect to; null for none.
     * @return this.
     */
    public ConnectFlyweight remote(final InetSocketAddress value)
    {
        return address(CONNECT_REMOTE_OFFSET, value);
    }

    /**
     * @return u32 connect timeout in ms, 0 for the proxy's default.
     */
    public long timeoutMillis()
    {
        return i32(CONNECT_TIMEOUT_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param value u32 connect timeout in ms, 0 for the proxy's default.
     * @return this.
     */
    public ConnectFlyweight timeoutMillis(final long value)
    {
        i32(CONNECT_TIMEOUT_OFFSET, (int)value);
        return this;
    }

    /**
     * @return u32 bytes the app buffers for this socket.
     */
    public long receiveWindow()
    {
        return i32(CONNECT_RECEIVE_WINDOW_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param value u32 bytes the app buffers for this socket.
     * @return this.
     */
    public ConnectFlyweight receiveWindow(final long value)
    {
        i32(CONNECT_RECEIVE_WINDOW_OFFSET, (int)value);
        return this;
    }

    /**
     * @return option flags (SocketMessages.FLAG_*).
     */
    public int flags()
    {
        return i32(CONNECT_FLAGS_OFFSET);
    }

    /**
     * @param value option flags (SocketMessages.FLAG_*).
     * @return this.
     */
    public ConnectFlyweight flags(final int value)
    {
        i32(CONNECT_FLAGS_OFFSET, value);
        return this;
    }

    /**
     * @return u32 SO_RCVBUF, 0 for default.
     */
    public long receiveBuffer()
    {
        return i32(CONNECT_RCVBUF_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param value u32 SO_RCVBUF, 0 for default.
     * @return this.
     */
    public ConnectFlyweight receiveBuffer(final long value)
    {
        i32(CONNECT_RCVBUF_OFFSET, (int)value);
        return this;
    }

    /**
     * @return u32 SO_SNDBUF, 0 for default.
     */
    public long sendBuffer()
    {
        return i32(CONNECT_SNDBUF_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param value u32 SO_SNDBUF, 0 for default.
     * @return this.
     */
    public ConnectFlyweight sendBuffer(final long value)
    {
        i32(CONNECT_SNDBUF_OFFSET, (int)value);
        return this;
    }
}
