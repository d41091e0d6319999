package io.xts.sockets.nio;

import io.xts.sockets.XtsSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link SocketChannel} of the XTS provider. Opened without an address, it chooses its carrier at {@link #bind} to
 * a bypassed address or at {@link #connect}: the JDK's own channel for loopback and the bypass networks (every call
 * then goes to that channel), otherwise an {@link XtsSocket} through the proxy. Options set before that are kept and
 * applied to the chosen carrier. On XTS, a non-blocking connect runs on a virtual thread (the socket library's
 * connect waits for the proxy's answer) and its end is OP_CONNECT readiness; reads, writes, options and
 * shutdownOutput are the socket's; shutdownInput is kept here (reads return -1; the proxy is not told, so bytes
 * still arriving wait unread). TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR, SO_RCVBUF and SO_SNDBUF go to the proxy's
 * socket; SO_LINGER and IP_TOS are accepted and recorded only (SO_LINGER 0 makes close an abort).
 */
public final class XtsSocketChannel extends SocketChannel implements RoutedChannel
{
    private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.TCP_NODELAY,
        StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.SO_RCVBUF,
        StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_LINGER, StandardSocketOptions.IP_TOS);

    private final XtsSelectorProvider provider;
    private final Object stateLock = new Object();
    private final Map<SocketOption<?>, Object> options = new LinkedHashMap<>();
    private final CopyOnWriteArrayList<XtsNioSelectionKey> keys = new CopyOnWriteArrayList<>();
    private volatile Carrier carrier = Carrier.UNDECIDED;
    private volatile XtsSocket xts;
    private volatile SocketChannel jdk;
    private InetSocketAddress localBind;

    private volatile boolean connectPending;
    private volatile boolean connectDone;
    private volatile IOException connectFailure;
    private volatile boolean connected;
    private Thread connectThread;
    private volatile boolean inputShutdown;
    private Socket adaptor;

    XtsSocketChannel(final XtsSelectorProvider provider)
    {
        super(provider);
        this.provider = provider;
    }

    /**
     * A channel over a socket the proxy accepted: XTS, connected, blocking (as accepted channels are).
     */
    XtsSocketChannel(final XtsSelectorProvider provider, final XtsSocket accepted)
    {
        super(provider);
        this.provider = provider;
        this.xts = accepted;
        accepted.configureBlocking(true);
        this.carrier = Carrier.XTS;
        this.connected = true;
    }

    // ---- carrier choice ----

    private SocketChannel chooseJdk() throws IOException
    {
        final SocketChannel channel = provider.jdk().openSocketChannel();
        try
        {
            channel.configureBlocking(isBlocking());
            for (final Map.Entry<SocketOption<?>, Object> option : options.entrySet())
            {
                setJdkOption(channel, option.getKey(), option.getValue());
            }
            if (null != localBind)
            {
                channel.bind(localBind);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        jdk = channel;
        carrier = Carrier.JDK;
        attachKeys();
        return channel;
    }

    @SuppressWarnings("unchecked")
    private static <T> void setJdkOption(final SocketChannel channel, final SocketOption<T> name, final Object value)
        throws IOException
    {
        channel.setOption(name, (T)value);
    }

    private XtsSocket chooseXts() throws IOException
    {
        final XtsSocket socket = provider.stack().openSocket();
        socket.configureBlocking(isBlocking());
        for (final Map.Entry<SocketOption<?>, Object> option : options.entrySet())
        {
            if (forwarded(option.getKey()))
            {
                setXtsOption(socket, option.getKey(), option.getValue());
            }
        }
        xts = socket;
        carrier = Carrier.XTS;
        attachKeys();
        return socket;
    }

    @SuppressWarnings("unchecked")
    private static <T> void setXtsOption(final XtsSocket socket, final SocketOption<T> name, final Object value)
        throws IOException
    {
        socket.setOption(name, (T)value);
    }

    private static boolean forwarded(final SocketOption<?> name)
    {
        return StandardSocketOptions.TCP_NODELAY == name || StandardSocketOptions.SO_KEEPALIVE == name ||
            StandardSocketOptions.SO_REUSEADDR == name || StandardSocketOptions.SO_RCVBUF == name ||
            StandardSocketOptions.SO_SNDBUF == name;
    }

    private void attachKeys()
    {
        for (final XtsNioSelectionKey key : keys)
        {
            key.attachCarrier(true);
        }
    }

    private void wakeSelectors()
    {
        for (final XtsNioSelectionKey key : keys)
        {
            key.nioSelector().internalWakeup();
        }
    }

    private void ensureOpen() throws ClosedChannelException
    {
        if (!isOpen())
        {
            throw new ClosedChannelException();
        }
    }

    private static InetSocketAddress checkAddress(final SocketAddress address)
    {
        if (!(address instanceof InetSocketAddress inet))
        {
            if (null == address)
            {
                throw new IllegalArgumentException("address must not be null");
            }
            throw new UnsupportedAddressTypeException();
        }
        if (inet.isUnresolved())
        {
            throw new UnresolvedAddressException();
        }
        return inet;
    }

    // ---- connect ----

    @Override
    public SocketChannel bind(final SocketAddress local) throws IOException
    {
        synchronized (stateLock)
        {
            ensureOpen();
            if (Carrier.JDK == carrier)
            {
                jdk.bind(local);
                return this;
            }
            if (connected || connectPending)
            {
                throw new AlreadyConnectedException();
            }
            if (null != localBind)
            {
                throw new AlreadyBoundException();
            }
            localBind = null == local ? new InetSocketAddress(0) : checkAddress(local);
            if (provider.bypasses(localBind.getAddress()))
            {
                chooseJdk();
                provider.trace("bind " + localBind + " -> JDK");
            }
            return this;
        }
    }

    @Override
    public boolean connect(final SocketAddress remote) throws IOException
    {
        final InetSocketAddress address = checkAddress(remote);
        final XtsSocket socket;
        synchronized (stateLock)
        {
            ensureOpen();
            if (Carrier.JDK == carrier)
            {
                return jdk.connect(address);
            }
            if (connected)
            {
                throw new AlreadyConnectedException();
            }
            if (connectPending)
            {
                throw new ConnectionPendingException();
            }
            if (provider.bypasses(address.getAddress()))
            {
                provider.trace("connect " + address + " -> JDK");
                return chooseJdk().connect(address);
            }
            provider.trace("connect " + address + " -> XTS");
            socket = chooseXts();
            connectPending = true;
            if (!isBlocking())
            {
                notifySynthetic();
                connectThread = Thread.ofVirtual().name("xts-nio-connect-" + address).start(() ->
                {
                    try
                    {
                        socket.connect(address, null);
                    }
                    catch (final IOException ex)
                    {
                        connectFailure = ex;
                    }
                    connectDone = true;
                    wakeSelectors();
                });
                return false;
            }
        }
        IOException failure = null;
        try
        {
            begin();
            socket.connect(address, null);
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
        finally
        {
            // A connect that failed by itself is reported as it failed, not as an asynchronous close.
            end(true);
        }
        if (null != failure)
        {
            close();
            throw failure;
        }
        synchronized (stateLock)
        {
            connectPending = false;
            connected = true;
        }
        return true;
    }

    @Override
    public boolean finishConnect() throws IOException
    {
        ensureOpen();
        if (Carrier.JDK == carrier)
        {
            return jdk.finishConnect();
        }
        final Thread thread;
        synchronized (stateLock)
        {
            if (connected)
            {
                return true;
            }
            if (!connectPending)
            {
                throw new NoConnectionPendingException();
            }
            if (!connectDone && !isBlocking())
            {
                return false;
            }
            thread = connectThread;
        }
        if (!connectDone)
        {
            boolean completed = false;
            try
            {
                begin();
                thread.join();
                completed = true;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            finally
            {
                end(completed);
            }
        }
        final IOException failure = connectFailure;
        if (null != failure)
        {
            close();
            throw failure;
        }
        synchronized (stateLock)
        {
            connectPending = false;
            connected = true;
        }
        return true;
    }

    @Override
    public boolean isConnected()
    {
        return Carrier.JDK == carrier ? jdk.isConnected() : connected && isOpen();
    }

    @Override
    public boolean isConnectionPending()
    {
        return Carrier.JDK == carrier ? jdk.isConnectionPending() : connectPending && isOpen();
    }

    // ---- data ----

    private XtsSocket connectedXts() throws IOException
    {
        ensureOpen();
        if (!connected)
        {
            throw new NotYetConnectedException();
        }
        return xts;
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException
    {
        if (Carrier.JDK == carrier)
        {
            return jdk.read(dst);
        }
        final XtsSocket socket = connectedXts();
        if (inputShutdown)
        {
            return -1;
        }
        if (!isBlocking())
        {
            return socket.read(dst);
        }
        int n = 0;
        try
        {
            begin();
            n = socket.read(dst);
            return n;
        }
        finally
        {
            end(n != 0);
        }
    }

    @Override
    public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException
    {
        if (Carrier.JDK == carrier)
        {
            return jdk.read(dsts, offset, length);
        }
        final XtsSocket socket = connectedXts();
        if (inputShutdown)
        {
            return -1;
        }
        if (!isBlocking())
        {
            return socket.read(dsts, offset, length);
        }
        long n = 0;
        try
        {
            begin();
            n = socket.read(dsts, offset, length);
            return n;
        }
        finally
        {
            end(n != 0);
        }
    }

    @Override
    public int write(final ByteBuffer src) throws IOException
    {
        if (Carrier.JDK == carrier)
        {
            return jdk.write(src);
        }
        final XtsSocket socket = connectedXts();
        if (!isBlocking())
        {
            return socket.write(src);
        }
        int n = 0;
        try
        {
            begin();
            n = socket.write(src);
            return n;
        }
        finally
        {
            end(n > 0 || !src.hasRemaining());
        }
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException
    {
        if (Carrier.JDK == carrier)
        {
            return jdk.write(srcs, offset, length);
        }
        final XtsSocket socket = connectedXts();
        if (!isBlocking())
        {
            return socket.write(srcs, offset, length);
        }
        long n = 0;
        try
        {
            begin();
            n = socket.write(srcs, offset, length);
            return n;
        }
        finally
        {
            end(true);
        }
    }

    @Override
    public SocketChannel shutdownInput() throws IOException
    {
        if (Carrier.JDK == carrier)
        {
            jdk.shutdownInput();
            return this;
        }
        connectedXts();
        inputShutdown = true;
        notifySynthetic();
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException
    {
        if (Carrier.JDK == carrier)
        {
            jdk.shutdownOutput();
            return this;
        }
        connectedXts().shutdownOutput();
        return this;
    }

    boolean isInputShutdown()
    {
        return Carrier.JDK == carrier ? jdk.socket().isInputShutdown() : inputShutdown ||
            null != xts && xts.isInputShutdown();
    }

    boolean isOutputShutdown()
    {
        return Carrier.JDK == carrier ? jdk.socket().isOutputShutdown() : null != xts && xts.isOutputShutdown();
    }

    private void notifySynthetic()
    {
        for (final XtsNioSelectionKey key : keys)
        {
            key.nioSelector().noteSynthetic(key);
        }
    }

    // ---- addresses, options ----

    @Override
    public SocketAddress getLocalAddress() throws IOException
    {
        ensureOpen();
        if (Carrier.JDK == carrier)
        {
            return jdk.getLocalAddress();
        }
        if (Carrier.XTS == carrier && connected)
        {
            return xts.getLocalAddress();
        }
        return localBind;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException
    {
        ensureOpen();
        if (Carrier.JDK == carrier)
        {
            return jdk.getRemoteAddress();
        }
        return null == xts ? null : xts.getRemoteAddress();
    }

    @Override
    public <T> SocketChannel setOption(final SocketOption<T> name, final T value) throws IOException
    {
        if (!OPTIONS.contains(name))
        {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        if (null == value && StandardSocketOptions.SO_LINGER != name)
        {
            throw new IllegalArgumentException("Invalid value 'null'");
        }
        synchronized (stateLock)
        {
            ensureOpen();
            if (Carrier.JDK == carrier)
            {
                jdk.setOption(name, value);
                return this;
            }
            if (Carrier.XTS == carrier && forwarded(name))
            {
                // A value already in effect costs no round trip to the proxy.
                if (!value.equals(xts.getOption(name)))
                {
                    xts.setOption(name, value);
                }
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
            if (Carrier.XTS == carrier && forwarded(name))
            {
                final T value = xts.getOption(name);
                if (value instanceof Integer size && 0 == size)
                {
                    // Never set: the kernel's default on the proxy is not known here; the window is what we grant.
                    return (T)Integer.valueOf(provider.stack().receiveWindow());
                }
                return value;
            }
            final Object value = options.get(name);
            if (null != value)
            {
                return (T)value;
            }
            if (StandardSocketOptions.SO_LINGER == name)
            {
                return (T)Integer.valueOf(-1);
            }
            if (StandardSocketOptions.IP_TOS == name)
            {
                return (T)Integer.valueOf(0);
            }
            if (StandardSocketOptions.SO_RCVBUF == name || StandardSocketOptions.SO_SNDBUF == name)
            {
                return (T)Integer.valueOf(65536);
            }
            return (T)Boolean.FALSE;
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions()
    {
        return OPTIONS;
    }

    @Override
    public Socket socket()
    {
        synchronized (stateLock)
        {
            if (null == adaptor)
            {
                try
                {
                    adaptor = new SocketAdaptor(this);
                }
                catch (final SocketException ex)
                {
                    // Socket's constructor with no implementation does nothing that can fail.
                    throw new IllegalStateException(ex);
                }
            }
            return adaptor;
        }
    }

    // ---- close, mode ----

    @Override
    protected void implCloseSelectableChannel() throws IOException
    {
        final XtsSocket socket = xts;
        if (null != socket)
        {
            final Object linger = options.get(StandardSocketOptions.SO_LINGER);
            if (linger instanceof Integer seconds && 0 == seconds)
            {
                socket.abort();
            }
            else
            {
                socket.close();
            }
        }
        final SocketChannel channel = jdk;
        if (null != channel)
        {
            channel.close();
        }
        wakeSelectors();
    }

    @Override
    protected void implConfigureBlocking(final boolean block) throws IOException
    {
        final XtsSocket socket = xts;
        if (null != socket)
        {
            socket.configureBlocking(block);
        }
        final SocketChannel channel = jdk;
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
        return "XtsSocketChannel[" + carrier + (Carrier.JDK == carrier ? " " + jdk : null != xts ? " " + xts : "") +
            "]";
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
        int ready = 0;
        if (connectPending && connectDone)
        {
            ready |= SelectionKey.OP_CONNECT;
        }
        if (inputShutdown)
        {
            ready |= SelectionKey.OP_READ;
        }
        return ready & interest;
    }

    @Override
    public boolean mayBeSynthetic()
    {
        return Carrier.JDK != carrier && (connectPending || inputShutdown);
    }

    @Override
    public int maskXtsReady(final int ready)
    {
        return connected ? ready : 0;
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
