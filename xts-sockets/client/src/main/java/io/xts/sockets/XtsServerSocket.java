package io.xts.sockets;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A listening TCP socket on the proxy's host, used like a {@link java.nio.channels.ServerSocketChannel}: the proxy
 * listens and accepts with the kernel, and announces each connection with ACCEPTED; the new socket, already
 * connected, waits here until the app accepts it. The queue holds at most the backlog given to
 * {@link XtsStack#listen}; a connection beyond it is reset at once (and counted), as a full kernel backlog drops a SYN,
 * so an app that stops accepting cannot make this memory grow. Safe for use by many threads.
 */
public final class XtsServerSocket implements Closeable
{
    private enum State
    {
        PENDING, LISTENING, FAILED, CLOSED
    }

    private final XtsStack stack;
    private final ReentrantLock lock;
    private final Condition changed;
    private final int backlog;
    private final ArrayDeque<XtsSocket> accepted;
    private int id;
    private State state = State.PENDING;
    private volatile boolean blocking = true;
    private volatile InetSocketAddress localAddress;
    private int failErrno;
    private String failLinkDown;

    XtsServerSocket(final XtsStack stack, final int backlog)
    {
        this.stack = stack;
        this.lock = stack.lock;
        this.changed = lock.newCondition();
        this.backlog = backlog;
        this.accepted = new ArrayDeque<>(Math.min(backlog, 1024));
    }

    /**
     * LISTEN and wait for LISTEN_RESULT.
     */
    void listen(final InetSocketAddress local) throws IOException
    {
        lock.lock();
        try
        {
            if (stack.isClosed() || !stack.linkUp())
            {
                throw stack.linkDownException();
            }
            final long deadline = System.nanoTime() + XtsStack.CONTROL_TIMEOUT_NS;
            id = stack.allocateSocketId();
            localAddress = local;
            stack.listeners.put(id, this);
            try
            {
                while (!stack.sendListen(id, local, backlog))
                {
                    throwIfNotPending(local);
                    if (!stack.awaitOnce(stack.linkProgress, deadline))
                    {
                        throw noAnswer(local);
                    }
                }
                stack.afterSend();
                while (State.PENDING == state)
                {
                    if (!stack.awaitOnce(changed, deadline))
                    {
                        stack.sendClose(id);
                        stack.afterSend();
                        throw noAnswer(local);
                    }
                }
                throwIfNotPending(local);
            }
            catch (final IOException | RuntimeException ex)
            {
                if (State.LISTENING != state)
                {
                    stack.listeners.remove(id);
                    state = State.CLOSED;
                }
                throw ex;
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private void throwIfNotPending(final InetSocketAddress local) throws IOException
    {
        switch (state)
        {
            case CLOSED -> throw new AsynchronousCloseException();
            case FAILED -> throw null != failLinkDown ? SocketErrors.linkDown(failLinkDown) :
                SocketErrors.listenFailed(failErrno, local);
            default ->
            {
            }
        }
    }

    private static SocketException noAnswer(final InetSocketAddress local)
    {
        return new SocketException("no LISTEN_RESULT from the proxy for " + local + " within " +
            TimeUnit.NANOSECONDS.toMillis(XtsStack.CONTROL_TIMEOUT_NS) + " ms");
    }

    /**
     * Blocking mode: wait for a connection. Non-blocking: null when none is queued.
     *
     * @return the next accepted socket, connected.
     * @throws IOException closed, link down, the listener reset by the proxy.
     */
    public XtsSocket accept() throws IOException
    {
        lock.lock();
        try
        {
            return acceptLocked(XtsStack.NO_DEADLINE, blocking);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Wait at most {@code timeout} for a connection, whatever the mode.
     *
     * @param timeout how long; null or zero: for ever.
     * @return the next accepted socket.
     * @throws SocketTimeoutException "Accept timed out".
     * @throws IOException            closed, link down.
     */
    public XtsSocket accept(final Duration timeout) throws IOException
    {
        if (null != timeout && timeout.isNegative())
        {
            throw new IllegalArgumentException("accept timeout must not be negative, got " + timeout);
        }
        final long deadline = null == timeout || timeout.isZero() ? XtsStack.NO_DEADLINE :
            System.nanoTime() + timeout.toNanos();
        lock.lock();
        try
        {
            return acceptLocked(deadline, true);
        }
        finally
        {
            lock.unlock();
        }
    }

    private XtsSocket acceptLocked(final long deadline, final boolean wait) throws IOException
    {
        boolean waited = false;
        while (true)
        {
            if (State.CLOSED == state)
            {
                throw waited ? new AsynchronousCloseException() : new ClosedChannelException();
            }
            final XtsSocket socket = accepted.pollFirst();
            if (null != socket)
            {
                return socket;
            }
            if (State.FAILED == state)
            {
                throw null != failLinkDown ? SocketErrors.linkDown(failLinkDown) :
                    SocketErrors.common(failErrno, "listener " + Integer.toUnsignedString(id) + " on " +
                        localAddress);
            }
            if (!wait)
            {
                return null;
            }
            if (!stack.awaitOnce(changed, deadline))
            {
                throw new SocketTimeoutException("Accept timed out");
            }
            waited = true;
        }
    }

    /**
     * @param block whether {@link #accept()} waits.
     * @return this.
     */
    public XtsServerSocket configureBlocking(final boolean block)
    {
        this.blocking = block;
        return this;
    }

    /**
     * @return the mode.
     */
    public boolean isBlocking()
    {
        return blocking;
    }

    /**
     * @return the address the proxy bound (the real port when 0 was asked for).
     */
    public InetSocketAddress getLocalAddress()
    {
        return localAddress;
    }

    /**
     * @return the listener's id on the link.
     */
    public int id()
    {
        lock.lock();
        try
        {
            return id;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return whether not closed.
     */
    public boolean isOpen()
    {
        lock.lock();
        try
        {
            return State.CLOSED != state;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Stop listening (CLOSE to the proxy) and reset connections accepted but never taken by the app. Idempotent.
     */
    @Override
    public void close()
    {
        lock.lock();
        try
        {
            if (State.CLOSED != state)
            {
                closeLocked();
                stack.afterSend();
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    void closeLocked()
    {
        if (State.CLOSED == state)
        {
            return;
        }
        if (State.LISTENING == state || State.PENDING == state)
        {
            stack.sendClose(id);
        }
        stack.listeners.remove(id);
        state = State.CLOSED;
        XtsSocket socket;
        while (null != (socket = accepted.pollFirst()))
        {
            // Nobody will ever read them: the peer gets an RST, as from a kernel listener closed with a backlog.
            socket.closeLocked(true);
        }
        signal();
    }

    @Override
    public String toString()
    {
        return "XtsServerSocket[id " + Integer.toUnsignedString(id) + " on " + localAddress + " " + state + "]";
    }

    XtsStack stack()
    {
        return stack;
    }

    private void signal()
    {
        changed.signalAll();
        stack.socketEvent();
    }

    int readyOps(final int interest)
    {
        if (0 != (interest & XtsSelectionKey.OP_ACCEPT) &&
            (!accepted.isEmpty() || State.FAILED == state))
        {
            return XtsSelectionKey.OP_ACCEPT;
        }
        return 0;
    }

    boolean isClosedLocked()
    {
        return State.CLOSED == state;
    }

    // ---- from the proxy (lock held) ----

    void onListenResult(final int errno, final InetSocketAddress bound)
    {
        if (State.PENDING != state)
        {
            stack.counters.protocolErrors.incrementRelease();
            return;
        }
        if (0 == errno)
        {
            state = State.LISTENING;
            if (null != bound)
            {
                localAddress = bound;
            }
        }
        else
        {
            stack.listeners.remove(id);
            state = State.FAILED;
            failErrno = errno;
        }
        signal();
    }

    boolean hasRoom()
    {
        return State.LISTENING == state && accepted.size() < backlog;
    }

    void onAccepted(final XtsSocket socket)
    {
        accepted.addLast(socket);
        signal();
    }

    void onReset(final int errno)
    {
        if (State.LISTENING == state || State.PENDING == state)
        {
            state = State.FAILED;
            failErrno = errno;
            signal();
        }
    }

    void failLinkDown(final String reason)
    {
        if (State.LISTENING == state || State.PENDING == state)
        {
            state = State.FAILED;
            failLinkDown = reason;
            signal();
        }
    }
}
