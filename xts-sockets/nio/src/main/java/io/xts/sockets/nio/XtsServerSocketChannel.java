package io.xts.sockets.nio;

import io.xts.sockets.XtsServerSocket;
import io.xts.sockets.XtsSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ServerSocketChannel} of the XTS provider. It chooses its carrier at {@link #bind}: a loopback or bypassed
 * address listens on the JDK's own channel (and accepts the JDK's channels); any other address, the wildcard
 * included, asks the proxy to listen there ({@link XtsServerSocket}) and accepts {@link XtsSocketChannel}s. A
 * wildcard bind therefore listens on the proxy's host only, not also on the app host's kernel. SO_RCVBUF and
 * SO_REUSEADDR are accepted and recorded on XTS (the proxy's listener sets SO_REUSEADDR itself); on the JDK carrier
 * they are the JDK's.
 */
public final class XtsServerSocketChannel extends ServerSocketChannel implements RoutedChannel
{
    private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.SO_RCVBUF,
        StandardSocketOptions.SO_REUSEADDR);

    private final XtsSelectorProvider provider;
    private final Object stateLock = new Object();
    private final Map<SocketOption<?>, Object> options = new LinkedHashMap<>();
    private final CopyOnWriteArrayList<XtsNioSelectionKey> keys = new CopyOnWriteArrayList<>();
    private volatile Carrier carrier = Carrier.UNDECIDED;
    private volatile XtsServerSocket xts;
    private volatile ServerSocketChannel jdk;
    private ServerSocket adaptor;

    XtsServerSocketChannel(final XtsSelectorProvider provider)
    {
        super(provider);
        this.provider = provider;
    }

    private void ensureOpen() throws ClosedChannelException
    {
        if (!isOpen())
        {
            throw new ClosedChannelException();
        }
    }

    @Override
    public ServerSocketChannel bind(final SocketAddress local, final int backlog) throws IOException
    {
        final InetSocketAddress address;
        if (null == local)
        {
            address = new InetSocketAddress(0);
        }
        else if (local instanceof InetSocketAddress inet)
        {
            if (inet.isUnresolved())
            {
                throw new UnresolvedAddressException();
            }
            address = inet;
        }
        else
        {
            throw new UnsupportedAddressTypeException();
        }
        synchronized (stateLock)
        {
            ensureOpen();
            if (Carrier.UNDECIDED != carrier)
            {
                throw new AlreadyBoundException();
            }
            if (provider.bypasses(address.getAddress()))
            {
                final ServerSocketChannel channel = provider.jdk().openServerSocketChannel();
                try
                {
                    channel.configureBlocking(isBlocking());
                    for (final Map.Entry<SocketOption<?>, Object> option : options.entrySet())
                    {
                        setJdkOption(channel, option.getKey(), option.getValue());
                    }
                    channel.bind(address, backlog);
                }
                catch (final IOException | RuntimeException ex)
                {
                    channel.close();
                    throw ex;
                }
                jdk = channel;
                carrier = Carrier.JDK;
                provider.trace("listen " + address + " -> JDK");
            }
            else
            {
                final XtsServerSocket server = provider.stack().listen(address, backlog);
                server.configureBlocking(isBlocking());
                xts = server;
                carrier = Carrier.XTS;
                provider.trace("listen " + address + " -> XTS " + server.getLocalAddress());
            }
            for (final XtsNioSelectionKey key : keys)
            {
                key.attachCarrier(true);
            }
            return this;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void setJdkOption(
        final ServerSocketChannel channel, final SocketOption<T> name, final Object value) throws IOException
    {
        channel.setOption(name, (T)value);
    }

    @Override
    public SocketChannel accept() throws IOException
    {
        ensureOpen();
        final Carrier c = carrier;
        if (Carrier.JDK == c)
        {
            return jdk.accept();
        }
        if (Carrier.UNDECIDED == c)
        {
            throw new NotYetBoundException();
        }
        final XtsSocket socket;
        if (isBlocking())
        {
            boolean completed = false;
            try
            {
                begin();
                socket = xts.accept();
                completed = true;
            }
            finally
            {
                end(completed);
            }
        }
        else
        {
            socket = xts.accept();
        }
        return null == socket ? null : new XtsSocketChannel(provider, socket);
    }

    @Override
    public ServerSocket socket()
    {
        synchronized (stateLock)
        {
            if (null == adaptor)
            {
                adaptor = new ServerSocketAdaptor(this);
            }
            return adaptor;
        }
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException
    {
        ensureOpen();
        final Carrier c = carrier;
        return Carrier.JDK == c ? jdk.getLocalAddress() : Carrier.XTS == c ? xts.getLocalAddress() : null;
    }

    @Override
    public <T> ServerSocketChannel setOption(final SocketOption<T> name, final T value) throws IOException
    {
        if (!OPTIONS.contains(name))
        {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        if (null == value)
        {
            throw new IllegalArgumentException("Invalid value 'null'");
        }
        synchronized (stateLock)
        {
            ensureOpen();
            if (Carrier.JDK == carrier)
            {
                jdk.setOption(name, value);
            }
            options.put(name, value);
            return this;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(final SocketOption<T> name) throws IOException
    {
        if (!OPTIONS.contains(name))
        {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        synchronized (stateLock)
        {
            ensureOpen();
            if (Carrier.JDK == carrier)
            {
                return jdk.getOption(name);
            }
            final Object value = options.get(name);
            if (null != value)
            {
                return (T)value;
            }
            return StandardSocketOptions.SO_RCVBUF == name ? (T)Integer.valueOf(65536) : (T)Boolean.TRUE;
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions()
    {
        return OPTIONS;
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException
    {
        final XtsServerSocket server = xts;
        if (null != server)
        {
            server.close();
        }
        final ServerSocketChannel channel = jdk;
        if (null != channel)
        {
            channel.close();
        }
        for (final XtsNioSelectionKey key : keys)
        {
            key.nioSelector().internalWakeup();
        }
    }

    @Override
    protected void implConfigureBlocking(final boolean block) throws IOException
    {
        final XtsServerSocket server = xts;
        if (null != server)
        {
            server.configureBlocking(block);
        }
        final ServerSocketChannel channel = jdk;
        if (null != channel)
        {
            for (final XtsNioSelectionKey key : keys)
            {
                key.cancelInnerIfInvalid();
            }
            channel.configureBlocking(block);
        }
    }

    @Override
    public String toString()
    {
        return "XtsServerSocketChannel[" + carrier + (Carrier.JDK == carrier ? " " + jdk : null != xts ? " " + xts :
            "") + "]";
    }

    // ---- RoutedChannel ----

    @Override
    public Carrier carrier()
    {
        return carrier;
    }

    @Override
    public Object xtsEndpoint()
    {
        return xts;
    }

    @Override
    public SelectableChannel jdkChannel()
    {
        return jdk;
    }

    @Override
    public int syntheticReady(final int interest)
    {
        return 0;
    }

    @Override
    public boolean mayBeSynthetic()
    {
        return false;
    }

    @Override
    public int maskXtsReady(final int ready)
    {
        return ready;
    }

    @Override
    public void addKey(final XtsNioSelectionKey key)
    {
        keys.add(key);
    }

    @Override
    public void removeKey(final XtsNioSelectionKey key)
    {
        keys.remove(key);
    }
}
