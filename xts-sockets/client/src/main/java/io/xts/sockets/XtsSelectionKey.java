package io.xts.sockets;

import java.nio.channels.CancelledKeyException;

/**
 * The registration of one {@link XtsSocket} or {@link XtsServerSocket} with one {@link XtsSelector}, shaped like
 * {@link java.nio.channels.SelectionKey} and with the same operation bits, so readiness loops read as they do with
 * NIO: the interest set says what to watch, the ready set what the last selection found.
 */
public final class XtsSelectionKey
{
    /** Readable: bytes buffered, end of stream, or an error to report. */
    public static final int OP_READ = 1;
    /** Writable: the proxy's credit allows sending, or an error to report. */
    public static final int OP_WRITE = 4;
    /** A connection is queued for accept (or the listener failed). */
    public static final int OP_ACCEPT = 16;

    private final XtsSelector selector;
    private final XtsSocket socket;
    private final XtsServerSocket server;
    private volatile int interestOps;
    private volatile int readyOps;
    private volatile Object attachment;
    private volatile boolean cancelled;

    XtsSelectionKey(final XtsSelector selector, final XtsSocket socket, final XtsServerSocket server)
    {
        this.selector = selector;
        this.socket = socket;
        this.server = server;
    }

    /**
     * @return the interest set.
     */
    public int interestOps()
    {
        requireValid();
        return interestOps;
    }

    /**
     * @param ops the new interest set (OP_READ and OP_WRITE for sockets, OP_ACCEPT for server sockets).
     * @return this.
     */
    public XtsSelectionKey interestOps(final int ops)
    {
        requireValid();
        validateOps(ops);
        interestOps = ops;
        // A selector already waiting must look again with the new interest.
        selector.interestChanged();
        return this;
    }

    void validateOps(final int ops)
    {
        final int allowed = null != socket ? OP_READ | OP_WRITE : OP_ACCEPT;
        if (0 != (ops & ~allowed))
        {
            throw new IllegalArgumentException("interest set " + ops + " has operations the " +
                (null != socket ? "socket" : "server socket") + " does not support (allowed: " + allowed + ")");
        }
    }

    void setInterest(final int ops)
    {
        interestOps = ops;
    }

    /**
     * @return the ready set found by the last selection that put this key in the selected set.
     */
    public int readyOps()
    {
        requireValid();
        return readyOps;
    }

    void readyOps(final int ops)
    {
        readyOps = ops;
    }

    int readyOpsUnchecked()
    {
        return readyOps;
    }

    /**
     * @return whether OP_READ is ready.
     */
    public boolean isReadable()
    {
        return 0 != (readyOps() & OP_READ);
    }

    /**
     * @return whether OP_WRITE is ready.
     */
    public boolean isWritable()
    {
        return 0 != (readyOps() & OP_WRITE);
    }

    /**
     * @return whether OP_ACCEPT is ready.
     */
    public boolean isAcceptable()
    {
        return 0 != (readyOps() & OP_ACCEPT);
    }

    /**
     * @return the object attached at registration (or with {@link #attach}).
     */
    public Object attachment()
    {
        return attachment;
    }

    /**
     * @param object the new attachment, may be null.
     * @return the previous one.
     */
    public Object attach(final Object object)
    {
        final Object previous = attachment;
        attachment = object;
        return previous;
    }

    /**
     * @return the {@link XtsSocket} or {@link XtsServerSocket}.
     */
    public Object channel()
    {
        return null != socket ? socket : server;
    }

    /**
     * @return the selector.
     */
    public XtsSelector selector()
    {
        return selector;
    }

    /**
     * Deregister; the key is invalid from now on. Idempotent.
     */
    public void cancel()
    {
        if (!cancelled)
        {
            cancelled = true;
            selector.cancel(this);
        }
    }

    /**
     * @return false once cancelled, its channel closed or its selector closed.
     */
    public boolean isValid()
    {
        return !cancelled && selector.isOpen() && (null != socket ? socket.isOpen() : server.isOpen());
    }

    private void requireValid()
    {
        if (cancelled || !selector.isOpen())
        {
            throw new CancelledKeyException();
        }
    }

    // ---- for the selector, lock held ----

    boolean channelClosedLocked()
    {
        return null != socket ? socket.isClosedLocked() : server.isClosedLocked();
    }

    boolean isCancelled()
    {
        return cancelled;
    }

    int computeReady()
    {
        final int interest = interestOps;
        return null != socket ? socket.readyOps(interest) : server.readyOps(interest);
    }
}
