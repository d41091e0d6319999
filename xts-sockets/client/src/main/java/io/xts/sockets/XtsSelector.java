package io.xts.sockets;

import org.agrona.collections.ObjectHashSet;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Readiness selection over the sockets and server sockets of one {@link XtsStack}, shaped like
 * {@link java.nio.channels.Selector}: register with an interest set, {@link #select(long)}, then handle and remove
 * the keys in {@link #selectedKeys()}. Readiness is computed from socket state under the stack lock (there is no
 * kernel to ask), and a waiting select is woken by the poller whenever a socket event happens. The selected-key set
 * is an Agrona set that reuses its iterator, so a select loop allocates nothing. Use one thread per selector, as
 * with NIO; {@link #wakeup()} may come from any thread.
 */
public final class XtsSelector implements Closeable
{
    private final XtsStack stack;
    private final ReentrantLock lock;
    private final ArrayList<XtsSelectionKey> keys = new ArrayList<>();
    private final ObjectHashSet<XtsSelectionKey> selected = new ObjectHashSet<>();
    private boolean wakeupPending;
    private volatile boolean closed;

    XtsSelector(final XtsStack stack)
    {
        this.stack = stack;
        this.lock = stack.lock;
    }

    /**
     * Register a socket, or update its registration with this selector.
     *
     * @param socket     a socket of this selector's stack.
     * @param ops        OP_READ and/or OP_WRITE.
     * @param attachment anything, may be null.
     * @return the key.
     * @throws IllegalStateException when the socket is closed.
     */
    public XtsSelectionKey register(final XtsSocket socket, final int ops, final Object attachment)
    {
        Objects.requireNonNull(socket, "socket");
        if (socket.stack() != stack)
        {
            throw new IllegalSelectorException();
        }
        return register(socket, null, ops, attachment);
    }

    /**
     * Register a server socket, or update its registration with this selector.
     *
     * @param server     a server socket of this selector's stack.
     * @param ops        OP_ACCEPT.
     * @param attachment anything, may be null.
     * @return the key.
     * @throws IllegalStateException when the server socket is closed.
     */
    public XtsSelectionKey register(final XtsServerSocket server, final int ops, final Object attachment)
    {
        Objects.requireNonNull(server, "server");
        if (server.stack() != stack)
        {
            throw new IllegalSelectorException();
        }
        return register(null, server, ops, attachment);
    }

    private XtsSelectionKey register(
        final XtsSocket socket, final XtsServerSocket server, final int ops, final Object attachment)
    {
        lock.lock();
        try
        {
            requireOpen();
            if (null != socket ? socket.isClosedLocked() : server.isClosedLocked())
            {
                throw new IllegalStateException("cannot register a closed " + (null != socket ? socket : server));
            }
            for (final XtsSelectionKey key : keys)
            {
                if (key.channel() == (null != socket ? socket : server) && !key.isCancelled())
                {
                    key.validateOps(ops);
                    key.setInterest(ops);
                    key.attach(attachment);
                    return key;
                }
            }
            final XtsSelectionKey key = new XtsSelectionKey(this, socket, server);
            key.validateOps(ops);
            key.setInterest(ops);
            key.attach(attachment);
            keys.add(key);
            return key;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Wait until at least one registered channel is ready, {@link #wakeup()} is called, or the timeout passes.
     *
     * @param timeoutMillis longest wait; 0 for ever.
     * @return keys whose ready set was updated.
     * @throws IOException when interrupted.
     */
    public int select(final long timeoutMillis) throws IOException
    {
        if (timeoutMillis < 0)
        {
            throw new IllegalArgumentException("timeout must be >= 0, got " + timeoutMillis);
        }
        lock.lock();
        try
        {
            requireOpen();
            final long deadline = 0 == timeoutMillis ? XtsStack.NO_DEADLINE :
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (true)
            {
                final int n = updateSelected();
                if (n > 0 || wakeupPending || closed)
                {
                    wakeupPending = false;
                    return n;
                }
                stack.selectorWaiters++;
                final boolean inTime;
                try
                {
                    inTime = stack.awaitOnce(stack.selectorEvent, deadline);
                }
                catch (final InterruptedIOException ex)
                {
                    // As a NIO selector: an interrupt ends the select, leaving the interrupt status set.
                    return 0;
                }
                finally
                {
                    stack.selectorWaiters--;
                }
                if (!inTime)
                {
                    return updateSelected();
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Select without waiting (without a poller thread, one duty cycle is run first).
     *
     * @return keys whose ready set was updated.
     */
    public int selectNow()
    {
        lock.lock();
        try
        {
            requireOpen();
            wakeupPending = false;
            return updateSelected();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return the selected keys; remove them as they are handled (adding is not supported).
     */
    public Set<XtsSelectionKey> selectedKeys()
    {
        requireOpen();
        return selected;
    }

    /**
     * @return the registered keys, a copy.
     */
    public Set<XtsSelectionKey> keys()
    {
        lock.lock();
        try
        {
            return Set.copyOf(keys);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Make the current or next select return at once.
     *
     * @return this.
     */
    public XtsSelector wakeup()
    {
        lock.lock();
        try
        {
            wakeupPending = true;
            stack.selectorEvent.signalAll();
        }
        finally
        {
            lock.unlock();
        }
        return this;
    }

    /**
     * @return whether not closed.
     */
    public boolean isOpen()
    {
        return !closed;
    }

    /**
     * Deregister everything; a select in progress returns. Idempotent.
     */
    @Override
    public void close()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            keys.clear();
            selected.clear();
            stack.selectorEvent.signalAll();
        }
        finally
        {
            lock.unlock();
        }
    }

    void cancel(final XtsSelectionKey key)
    {
        lock.lock();
        try
        {
            keys.remove(key);
            selected.remove(key);
        }
        finally
        {
            lock.unlock();
        }
    }

    void interestChanged()
    {
        lock.lock();
        try
        {
            stack.selectorEvent.signalAll();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Compute readiness, as a NIO selector does: a key entering the selected set gets the ready set; a key already
     * in it gains the new ready operations. Keys of closed channels are dropped.
     */
    private int updateSelected()
    {
        if (!stack.hasPoller())
        {
            stack.cycleLocked();
        }
        int updated = 0;
        for (int i = keys.size() - 1; i >= 0; i--)
        {
            final XtsSelectionKey key = keys.get(i);
            if (key.channelClosedLocked())
            {
                keys.remove(i);
                selected.remove(key);
                continue;
            }
            final int ready = key.computeReady();
            if (0 == ready)
            {
                continue;
            }
            if (selected.contains(key))
            {
                if (0 != (ready & ~key.readyOpsUnchecked()))
                {
                    key.readyOps(key.readyOpsUnchecked() | ready);
                    updated++;
                }
            }
            else
            {
                key.readyOps(ready);
                selected.add(key);
                updated++;
            }
        }
        return updated;
    }

    private void requireOpen()
    {
        if (closed)
        {
            throw new ClosedSelectorException();
        }
    }
}
