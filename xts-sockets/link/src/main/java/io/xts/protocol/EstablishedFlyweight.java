package io.xts.protocol;

import java.net.InetSocketAddress;

import static io.xts.protocol.SocketMessages.ACCEPTED_LISTENER_OFFSET;
import static io.xts.protocol.SocketMessages.CONNECT_RESULT_ERRNO_OFFSET;
import static io.xts.protocol.SocketMessages.ESTABLISHED_LENGTH;
import static io.xts.protocol.SocketMessages.ESTABLISHED_LOCAL_OFFSET;
import static io.xts.protocol.SocketMessages.ESTABLISHED_REMOTE_OFFSET;
import static io.xts.protocol.SocketMessages.ESTABLISHED_SEND_WINDOW_OFFSET;

/**
 * Body of CONNECT_RESULT and of ACCEPTED (proxy to app), which share a layout: the first field is the
 * errno of a connect (0 when connected) or the id of the listener that accepted, then the send window the proxy grants
 * the app and the connection's local and remote addresses.
 */
public final class EstablishedFlyweight extends SocketBodyFlyweight<EstablishedFlyweight>
{
    /** Bytes of the body. */
    public static final int LENGTH = ESTABLISHED_LENGTH;

    /**
     * Create one wrapping nothing; {@link #wrap} it over a body before use.
     */
    public EstablishedFlyweight()
    {
    }

    @Override
    protected EstablishedFlyweight self()
    {
        return this;
    }

    @Override
    protected int requiredLength()
    {
        return LENGTH;
    }

    /**
     * @return CONNECT_RESULT: errno, 0 when connected.
     */
    public int errno()
    {
        return i32(CONNECT_RESULT_ERRNO_OFFSET);
    }

    /**
     * @param value CONNECT_RESULT: errno, 0 when connected.
     * @return this.
     */
    public EstablishedFlyweight errno(final int value)
    {
        i32(CONNECT_RESULT_ERRNO_OFFSET, value);
        return this;
    }

    /**
     * @return ACCEPTED: id of the listener.
     */
    public int listenerId()
    {
        return i32(ACCEPTED_LISTENER_OFFSET);
    }

    /**
     * @param value ACCEPTED: id of the listener.
     * @return this.
     */
    public EstablishedFlyweight listenerId(final int value)
    {
        i32(ACCEPTED_LISTENER_OFFSET, value);
        return this;
    }

    /**
     * @return u32 bytes the app may send before the first CREDIT.
     */
    public long sendWindow()
    {
        return i32(ESTABLISHED_SEND_WINDOW_OFFSET) & 0xFFFF_FFFFL;
    }

    /**
     * @param value u32 bytes the app may send before the first CREDIT.
     * @return this.
     */
    public EstablishedFlyweight sendWindow(final long value)
    {
        i32(ESTABLISHED_SEND_WINDOW_OFFSET, (int)value);
        return this;
    }

    /**
     * @return the proxy's local address of the connection, or null when none.
     */
    public InetSocketAddress local()
    {
        return address(ESTABLISHED_LOCAL_OFFSET);
    }

    /**
     * @param value the proxy's local address of the connection; null for none.
     * @return this.
     */
    public EstablishedFlyweight local(final InetSocketAddress value)
    {
        return address(ESTABLISHED_LOCAL_OFFSET, value);
    }

    /**
     * @return the remote address of the connection, or null when none.
     */
    public InetSocketAddress remote()
    {
        return address(ESTABLISHED_REMOTE_OFFSET);
    }

    /**
     * @param value the remote address of the connection; null for none.
     * @return this.
     */
    public EstablishedFlyweight remote(final InetSocketAddress value)
    {
        return address(ESTABLISHED_REMOTE_OFFSET, value);
    }
}
