package io.xts.sockets.nio;

import io.xts.sockets.XtsSelectionKey;
import io.xts.sockets.XtsSelector;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The selector of the XTS provider: one {@link Selector} over XTS channels and JDK channels together. Behind it are
 * up to two inner selectors, made when the first channel of each kind registers: the stack's {@link XtsSelector}
 * (readiness from socket state, woken by the stack's poller) and a selector of the JDK's provider (epoll). With only
 * one kind registered, select waits in that one. With both, it waits in the XTS selector for at most
 * {@link #MIXED_SLICE_MS} and then polls the JDK selector without waiting, over and over until something is ready,
 * so a JDK channel's readiness is seen at most that late (and the loop costs a wakeup per slice). Readiness only a
 * channel knows (OP_CONNECT after a background XTS connect, OP_READ after shutdownInput) is checked on every round,
 * and the channel wakes the selector when it changes. Internal wakeups (a channel chose its carrier, a connect
 * ended) never end a select by themselves, so a select returns only on readiness, {@link #wakeup()}, interrupt,
 * timeout or close, as the JDK's do.
 */
final class XtsNioSelector extends AbstractSelector
{
    /** Longest wait in the XTS selector while JDK channels are registered too. */
    static final long MIXED_SLICE_MS = 1;

    private final XtsSelectorProvider provider;
    private final Set<SelectionKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final Set<SelectionKey> selected = new HashSet<>();
    private final Set<SelectionKey> publicSelected = new UngrowableSet(selected);
    private final Set<XtsNioSelectionKey> syntheticKeys = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** A channel changed what only a new round can see (carrier chosen, connect ended). */
    private final AtomicBoolean internalPending = new AtomicBoolean();
    /** Set by the selecting thread while it waits (or is about to) in an inner selector or the idle condition. */
    private volatile boolean blockingIn;
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private boolean idleSignalled;
    /** Keys whose ready set changed in the current round of a select (the select thread's). */
    private int updated;
    private volatile XtsSelector xts;
    private volatile Selector jdk;

    XtsNioSelector(final XtsSelectorProvider provider)
    {
        super(provider);
        this.provider = provider;
    }

    XtsSelector xtsSelector()
    {
        XtsSelector s = xts;
        if (null == s)
        {
            synchronized (keys)
            {
                s = xts;
                if (null == s)
                {
                    try
                    {
                        s = provider.stack().openSelector();
                    }
                    catch (final IOException ex)
                    {
                        // A channel is on XTS only once the stack is open, so this cannot fail then.
                        throw new IllegalStateException(ex);
                    }
                    xts = s;
                }
            }
        }
        return s;
    }

    Selector jdkSelector() throws ClosedSelectorException
    {
        Selector s = jdk;
        if (null == s)
        {
            synchronized (keys)
            {
                s = jdk;
                if (null == s)
                {
                    try
                    {
                        s = provider.jdk().openSelector();
                    }
                    catch (final IOException ex)
                    {
                        throw new IllegalStateException("cannot open the JDK's selector: " + ex.getMessage(), ex);
                    }
                    jdk = s;
                }
            }
        }
        return s;
    }

    @Override
    protected SelectionKey register(final AbstractSelectableChannel channel, final int ops, final Object attachment)
    {
        if (!isOpen())
        {
            throw new ClosedSelectorException();
        }
        if (!(channel instanceof RoutedChannel) && channel.provider() != provider.jdk())
        {
            throw new IllegalSelectorException();
        }
        final XtsNioSelectionKey key = new XtsNioSelectionKey(this, channel, ops);
        key.attach(attachment);
        keys.add(key);
        if (channel instanceof RoutedChannel routed)
        {
            routed.addKey(key);
            if (routed.mayBeSynthetic())
            {
                syntheticKeys.add(key);
            }
        }
        // As the JDK's: a registration is seen by the next select; a channel that chooses its carrier later wakes it.
        key.attachCarrier(false);
        return key;
    }

    void noteSynthetic(final XtsNioSelectionKey key)
    {
        syntheticKeys.add(key);
        internalWakeup();
    }

    @Override
    public Set<SelectionKey> keys()
    {
        if (!isOpen())
        {
            throw new ClosedSelectorException();
        }
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys()
    {
        if (!isOpen())
        {
            throw new ClosedSelectorException();
        }
        return publicSelected;
    }

    @Override
    public int selectNow() throws IOException
    {
        return select(-1L, true);
    }

    @Override
    public int select(final long timeout) throws IOException
    {
        if (timeout < 0)
        {
            throw new IllegalArgumentException("Negative timeout");
        }
        return select(timeout, false);
    }

    @Override
    public int select() throws IOException
    {
        return select(0, false);
    }

    /**
     * Wake the selecting thread without ending its select (a channel's carrier or synthetic readiness changed).
     */
    void internalWakeup()
    {
        internalPending.set(true);
        wakeInner();
    }

    @Override
    public Selector wakeup()
    {
        wakeupPending.set(true);
        wakeInner();
        return this;
    }

    /**
     * Wake the inner selectors only while a select waits in them: otherwise the flags the select checks before it
     * waits are enough, and a busy event loop's wakeups cost no stack lock.
     */
    private void wakeInner()
    {
        if (!blockingIn)
        {
            return;
        }
        final XtsSelector x = xts;
        if (null != x)
        {
            x.wakeup();
        }
        final Selector j = jdk;
        if (null != j)
        {
            j.wakeup();
        }
        idleLock.lock();
        try
        {
            idleSignalled = true;
            idle.signalAll();
        }
        finally
        {
            idleLock.unlock();
        }
    }

    private int select(final long timeoutMillis, final boolean now) throws IOException
    {
        synchronized (this)
        {
            if (!isOpen())
            {
                throw new ClosedSelectorException();
            }
            if (now)
            {
                wakeupPending.set(false);
            }
            final long deadline = timeoutMillis > 0 ?
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
            try
            {
                begin();
                while (true)
                {
                    processCancelled();
                    internalPending.set(false);
                    final XtsSelector x = xts;
                    final Selector j = jdk;
                    long remaining = 0;
                    if (timeoutMillis > 0)
                    {
                        remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime() + 999_999);
                    }
                    final boolean block = !now && !wakeupPending.get() && !hasSynthetic() &&
                        (0 == timeoutMillis || remaining > 0) && !Thread.currentThread().isInterrupted();
                    // Announce the wait, then look at the flags once more: a wakeup either sees blockingIn or is seen.
                    blockingIn = block;
                    if (!block || wakeupPending.get() || internalPending.get())
                    {
                        selectNowInner(x, j);
                    }
                    else if (null != x && null != j)
                    {
                        x.select(0 == timeoutMillis ? MIXED_SLICE_MS : Math.min(remaining, MIXED_SLICE_MS));
                        j.selectNow();
                    }
                    else if (null != x)
                    {
                        x.select(remaining);
                    }
                    else if (null != j)
                    {
                        j.select(remaining);
                    }
                    else
                    {
                        idleWait(remaining);
                    }
                    blockingIn = false;
                    updated = 0;
                    final int found = transferXts(x) + transferJdk(j) + transferSynthetic();
                    final int n = updated;
                    // As the JDK's selectors: readiness ends the select even when every ready key was already in
                    // the selected set with those operations (then 0 keys were updated).
                    if (found > 0 || now || !isOpen() || Thread.currentThread().isInterrupted())
                    {
                        if (now)
                        {
                            wakeupPending.set(false);
                        }
                        return n;
                    }
                    if (wakeupPending.getAndSet(false))
                    {
                        return 0;
                    }
                    if (timeoutMillis > 0 && deadline - System.nanoTime() <= 0)
                    {
                        return 0;
                    }
                }
            }
            finally
            {
                blockingIn = false;
                end();
            }
        }
    }

    private static void selectNowInner(final XtsSelector x, final Selector j) throws IOException
    {
        if (null != x)
        {
            x.selectNow();
        }
        if (null != j)
        {
            j.selectNow();
        }
    }

    private void idleWait(final long remainingMillis)
    {
        idleLock.lock();
        try
        {
            if (!idleSignalled && !wakeupPending.get() && !internalPending.get() && null == xts && null == jdk)
            {
                if (0 == remainingMillis)
                {
                    idle.await();
                }
                else
                {
                    idle.await(remainingMillis, TimeUnit.MILLISECONDS);
                }
            }
            idleSignalled = false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            idleLock.unlock();
        }
    }

    private boolean hasSynthetic()
    {
        for (final XtsNioSelectionKey key : syntheticKeys)
        {
            if (key.isValid() && key.channel() instanceof RoutedChannel routed &&
                0 != routed.syntheticReady(key.interestUnchecked()))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Add what a key was found ready for, as the JDK does: a key entering the selected set gets the ready set, a key
     * already in it gains the new operations; {@link #updated} counts the keys that changed.
     *
     * @return 1 when anything was ready, else 0.
     */
    private int addReady(final XtsNioSelectionKey key, final int ready)
    {
        if (0 == ready)
        {
            return 0;
        }
        if (selected.contains(key))
        {
            if (0 != (ready & ~key.readyUnchecked()))
            {
                key.ready(key.readyUnchecked() | ready);
                updated++;
            }
            return 1;
        }
        key.ready(ready);
        selected.add(key);
        updated++;
        return 1;
    }

    private int transferXts(final XtsSelector x)
    {
        if (null == x)
        {
            return 0;
        }
        final Set<XtsSelectionKey> found = x.selectedKeys();
        if (found.isEmpty())
        {
            return 0;
        }
        int n = 0;
        for (final XtsSelectionKey inner : found)
        {
            if (inner.attachment() instanceof XtsNioSelectionKey key && key.isValid())
            {
                try
                {
                    final int ready = ((RoutedChannel)key.channel()).maskXtsReady(inner.readyOps()) &
                        key.interestUnchecked();
                    n += addReady(key, ready);
                }
                catch (final CancelledKeyException ex)
                {
                    // Cancelled while selecting: nothing to report.
                }
            }
        }
        found.clear();
        return n;
    }

    private int transferJdk(final Selector j)
    {
        if (null == j)
        {
            return 0;
        }
        final Set<SelectionKey> found = j.selectedKeys();
        if (found.isEmpty())
        {
            return 0;
        }
        int n = 0;
        for (final SelectionKey inner : found)
        {
            if (inner.isValid() && inner.attachment() instanceof XtsNioSelectionKey key && key.isValid())
            {
                try
                {
                    n += addReady(key, inner.readyOps() & key.interestUnchecked());
                }
                catch (final CancelledKeyException ex)
                {
                    // Cancelled while selecting: nothing to report.
                }
            }
        }
        found.clear();
        return n;
    }

    private int transferSynthetic()
    {
        if (syntheticKeys.isEmpty())
        {
            return 0;
        }
        int n = 0;
        for (final Iterator<XtsNioSelectionKey> it = syntheticKeys.iterator(); it.hasNext(); )
        {
            final XtsNioSelectionKey key = it.next();
            final RoutedChannel routed = (RoutedChannel)key.channel();
            if (!key.isValid() || !routed.mayBeSynthetic())
            {
                it.remove();
                continue;
            }
            n += addReady(key, routed.syntheticReady(key.interestUnchecked()));
        }
        return n;
    }

    private void processCancelled() throws IOException
    {
        final Set<SelectionKey> cancelled = cancelledKeys();
        boolean flushJdk = false;
        synchronized (cancelled)
        {
            if (cancelled.isEmpty())
            {
                return;
            }
            for (final SelectionKey k : cancelled)
            {
                final XtsNioSelectionKey key = (XtsNioSelectionKey)k;
                flushJdk |= key.cancelInner();
                forget(key);
            }
            cancelled.clear();
        }
        final Selector j = jdk;
        if (flushJdk && null != j)
        {
            // The JDK deregisters cancelled keys when it selects: do it now, so the channel can register again.
            j.selectNow();
        }
    }

    private void forget(final XtsNioSelectionKey key)
    {
        keys.remove(key);
        selected.remove(key);
        syntheticKeys.remove(key);
        if (key.channel() instanceof RoutedChannel routed)
        {
            routed.removeKey(key);
        }
        deregister(key);
    }

    @Override
    protected void implCloseSelector() throws IOException
    {
        wakeup();
        synchronized (this)
        {
            final XtsSelector x = xts;
            if (null != x)
            {
                x.close();
            }
            final Selector j = jdk;
            if (null != j)
            {
                j.close();
            }
            final Set<SelectionKey> cancelled = cancelledKeys();
            synchronized (cancelled)
            {
                cancelled.clear();
            }
            for (final SelectionKey k : keys)
            {
                final XtsNioSelectionKey key = (XtsNioSelectionKey)k;
                key.cancelInner();
                forget(key);
            }
        }
    }

    /**
     * The selected-key set as the JDK hands it out: keys may be removed, never added.
     */
    private static final class UngrowableSet extends AbstractSet<SelectionKey>
    {
        private final Set<SelectionKey> set;

        UngrowableSet(final Set<SelectionKey> set)
        {
            this.set = set;
        }

        @Override
        public Iterator<SelectionKey> iterator()
        {
            return set.iterator();
        }

        @Override
        public int size()
        {
            return set.size();
        }

        @Override
        public boolean contains(final Object o)
        {
            return set.contains(o);
        }

        @Override
        public boolean remove(final Object o)
        {
            return set.remove(o);
        }

        @Override
        public void clear()
        {
            set.clear();
        }

        @Override
        public boolean add(final SelectionKey key)
        {
            throw new UnsupportedOperationException("the selected-key set cannot be added to");
        }
    }
}
