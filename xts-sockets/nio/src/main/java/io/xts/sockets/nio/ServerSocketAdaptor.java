package io.xts.sockets.nio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * The {@link ServerSocket} view of an {@link XtsServerSocketChannel} ({@code channel.socket()}), as the JDK's HTTP
 * server binds through it: bind, addresses, accept (blocking mode only) and options are the channel's; SO_TIMEOUT is
 * recorded and not applied.
 */
final class ServerSocketAdaptor extends ServerSocket
{
    private final XtsServerSocketChannel channel;
    private volatile int soTimeout;

    ServerSocketAdaptor(final XtsServerSocketChannel channel)
    {
        super(new NoSocketImpl());
        this.channel = channel;
    }

    @Override
    public void bind(final SocketAddress endpoint) throws IOException
    {
        bind(endpoint, 50);
    }

    @Override
    public void bind(final SocketAddress endpoint, final int backlog) throws IOException
    {
        channel.bind(endpoint, backlog);
    }

    private InetSocketAddress local()
    {
        try
        {
            return channel.isOpen() ? (InetSocketAddress)channel.getLocalAddress() : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    @Override
    public InetAddress getInetAddress()
    {
        final InetSocketAddress local = local();
        return null == local ? null : local.getAddress();
    }

    @Override
    public int getLocalPort()
    {
        final InetSocketAddress local = local();
        return null == local ? -1 : local.getPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress()
    {
        return local();
    }

    @Override
    public Socket accept() throws IOException
    {
        if (!channel.isBlocking())
        {
            throw new IllegalBlockingModeException();
        }
        final SocketChannel accepted = channel.accept();
        return accepted.socket();
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }

    @Override
    public ServerSocketChannel getChannel()
    {
        return channel;
    }

    @Override
    public boolean isBound()
    {
        return null != local();
    }

    @Override
    public boolean isClosed()
    {
        return !channel.isOpen();
    }

    @Override
    public void setSoTimeout(final int timeout) throws SocketException
    {
        if (timeout < 0)
        {
            throw new IllegalArgumentException("timeout < 0");
        }
        soTimeout = timeout;
    }

    @Override
    public int getSoTimeout()
    {
        return soTimeout;
    }

    @Override
    public void setReuseAddress(final boolean on) throws SocketException
    {
        try
        {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, on);
        }
        catch (final IOException ex)
        {
            throw new SocketException(ex.getMessage());
        }
    }

    @Override
    public boolean getReuseAddress() throws SocketException
    {
        try
        {
            return channel.getOption(StandardSocketOptions.SO_REUSEADDR);
        }
        catch (final IOException ex)
        {
            throw new SocketException(ex.getMessage());
        }
    }

    @Override
    public void setReceiveBufferSize(final int size) throws SocketException
    {
        try
        {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, size);
        }
        catch (final IOException ex)
        {
            throw new SocketException(ex.getMessage());
        }
    }

    @Override
    public int getReceiveBufferSize() throws SocketException
    {
        try
        {
            return channel.getOption(StandardSocketOptions.SO_RCVBUF);
        }
        catch (final IOException ex)
        {
            throw new SocketException(ex.getMessage());
        }
    }

    @Override
    public <T> ServerSocket setOption(final SocketOption<T> name, final T value) throws IOException
    {
        channel.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(final SocketOption<T> name) throws IOException
    {
        return channel.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions()
    {
        return channel.supportedOptions();
    }

    @Override
    public String toString()
    {
        return isBound() ? "ServerSocket[addr=" + getInetAddress() + ",localport=" + getLocalPort() + "]" :
            "ServerSocket[unbound]";
    }

    /**
     * The implementation ServerSocket's constructor asks for; every call goes to the channel instead.
     */
    private static final class NoSocketImpl extends SocketImpl
    {
        private static SocketException unsupported()
        {
            return new SocketException("not supported by the XTS server socket adaptor");
        }

        @Override
        protected void create(final boolean stream) throws IOException
        {
            throw unsupported();
        }

        @Override
        protected void connect(final String host, final int port) throws IOException
        {
            throw unsupported();
        }

        @Override
        protected void connect(final InetAddress address, final int port) throws IOException
        {
            throw unsupported();
        }

        @Override
        protected void connect(final SocketAddress address, final int timeout) throws IOException
        {
            throw unsupported();
        }

        @Override
        protected void bind(final InetAddress host, final int port) throws IOException
        {
            throw unsupported();
        }

        @Override
        protected void listen(final int backlog) throws IOException
        {
            throw unsupported();
        }

        @Override
        protected void accept(final SocketImpl s) throws IOException
        {
            throw unsupported();
        }

        @Override
        protected InputStream getInputStream() throws IOException
        {
            throw unsupported();
        }

        @Override
        protected OutputStream getOutputStream() throws IOException
        {
            throw unsupported();
        }

        @Override
        protected int available() throws IOException
        {
            throw unsupported();
        }

        @Override
        protected void close()
        {
        }

        @Override
        protected void sendUrgentData(final int data) throws IOException
        {
            throw unsupported();
        }

        @Override
        public void setOption(final int optID, final Object value) throws SocketException
        {
            throw unsupported();
        }

        @Override
        public Object getOption(final int optID) throws SocketException
        {
            throw unsupported();
        }
    }
}
