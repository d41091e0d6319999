package io.xts.sockets.nio;

import io.xts.sockets.XtsSelectionKey;
import io.xts.sockets.XtsServerSocket;
import io.xts.sockets.XtsSocket;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectionKey;

/**
 * The registration of one channel with one {@link XtsNioSelector}. Behind it is at most one inner registration: an
 * {@link XtsSelectionKey} with the stack's selector when the channel is carried by XTS, or a JDK
 * {@link SelectionKey} with the selector's JDK selector when the JDK carries it (a bypassed channel of this provider,
 * or a channel of the JDK's provider such as a DatagramChannel). A channel registered before it chose its carrier
 * gets its inner registration when it does. Each inner key's attachment is this key.
 */
final class XtsNioSelectionKey extends AbstractSelectionKey
{
    private final XtsNioSelector selector;
    private final SelectableChannel channel;
    private volatile int interest;
    private int ready;
    private volatile XtsSelectionKey xtsKey;
    private volatile SelectionKey jdkKey;

    XtsNioSelectionKey(final XtsNioSelector selector, final SelectableChannel channel, final int interest)
    {
        this.selector = selector;
        this.channel = channel;
        this.interest = interest;
    }

    @Override
    public SelectableChannel channel()
    {
        return channel;
    }

    @Override
    public Selector selector()
    {
        return selector;
    }

    XtsNioSelector nioSelector()
    {
        return selector;
    }

    @Override
    public int interestOps()
    {
        ensureValid();
        return interest;
    }

    @Override
    public SelectionKey interestOps(final int ops)
    {
        ensureValid();
        if (0 != (ops & ~channel.validOps()))
        {
            throw new IllegalArgumentException("Invalid interest ops: " + ops);
        }
        if (ops == interest)
        {
            // Unchanged: an XTS key would take the stack lock to signal its selector for nothing.
            return this;
        }
        interest = ops;
        final XtsSelectionKey x = xtsKey;
        final SelectionKey j = jdkKey;
        try
        {
            if (null != x)
            {
                x.interestOps(xtsOps(ops));
            }
            else if (null != j)
            {
                j.interestOps(ops);
            }
        }
        catch (final CancelledKeyException ex)
        {
            // The channel was closed under us; this key is cancelled with it at the next select.
        }
        if (channel instanceof RoutedChannel routed && 0 != routed.syntheticReady(ops))
        {
            selector.internalWakeup();
        }
        return this;
    }

    @Override
    public int readyOps()
    {
        ensureValid();
        return ready;
    }

    int readyUnchecked()
    {
        return ready;
    }

    void ready(final int ops)
    {
        ready = ops;
    }

    int interestUnchecked()
    {
        return interest;
    }

    private void ensureValid()
    {
        if (!isValid())
        {
            throw new CancelledKeyException();
        }
    }

    private int xtsOps(final int ops)
    {
        return ops & (channel instanceof XtsServerSocketChannel ? XtsSelectionKey.OP_ACCEPT :
            XtsSelectionKey.OP_READ | XtsSelectionKey.OP_WRITE);
    }

    /**
     * Make or refresh the inner registration for the channel's carrier (at registration, and when an undecided
     * channel chooses).
     *
     * @param wake whether to wake a select in progress (when the channel chose its carrier while registered).
     */
    void attachCarrier(final boolean wake)
    {
        if (!isValid())
        {
            return;
        }
        if (channel instanceof RoutedChannel routed)
        {
            switch (routed.carrier())
            {
                case XTS ->
                {
                    if (null == xtsKey)
                    {
                        try
                        {
                            final Object endpoint = routed.xtsEndpoint();
                            xtsKey = endpoint instanceof XtsSocket socket ?
                                selector.xtsSelector().register(socket, xtsOps(interest), this) :
                                selector.xtsSelector().register((XtsServerSocket)endpoint, xtsOps(interest), this);
                        }
                        catch (final IllegalStateException ex)
                        {
                            // Closed meanwhile: the key goes with the channel's close.
                        }
                    }
                }
                case JDK -> attachJdk(routed.jdkChannel());
                default ->
                {
                }
            }
        }
        else
        {
            attachJdk(channel);
        }
        if (wake)
        {
            selector.internalWakeup();
        }
    }

    private void attachJdk(final SelectableChannel jdkChannel)
    {
        if (null != jdkKey && jdkKey.isValid())
        {
            return;
        }
        try
        {
            jdkKey = jdkChannel.register(selector.jdkSelector(), interest, this);
        }
        catch (final ClosedChannelException | CancelledKeyException ex)
        {
            // Closed meanwhile: the key goes with the channel's close.
        }
    }

    /**
     * This key was cancelled: cancel the inner one too, so the channel may change its blocking mode and be
     * registered again.
     */
    void cancelInnerIfInvalid()
    {
        if (!isValid())
        {
            cancelInner();
        }
    }

    /**
     * @return whether a JDK key was cancelled (the JDK selector must select once to deregister it).
     */
    boolean cancelInner()
    {
        final XtsSelectionKey x = xtsKey;
        if (null != x)
        {
            x.cancel();
        }
        final SelectionKey j = jdkKey;
        if (null != j)
        {
            j.cancel();
            return true;
        }
        return false;
    }
}
