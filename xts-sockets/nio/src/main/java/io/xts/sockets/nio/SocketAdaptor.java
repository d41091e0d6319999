package io.xts.sockets.nio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * The {@link Socket} view of an {@link XtsSocketChannel} ({@code channel.socket()}), for programs that read
 * addresses and set options through it (the JDK's HTTP server, Netty's channel configuration). Every call is the
 * channel's: options through {@link SocketChannel#setOption}, streams through {@link Channels}, addresses from the
 * channel. SO_TIMEOUT and OOBINLINE are accepted and recorded; sendUrgentData is not supported.
 */
final class SocketAdaptor extends Socket
{
    private final XtsSocketChannel channel;
    private volatile int soTimeout;
    private volatile boolean oobInline;

    SocketAdaptor(final XtsSocketChannel channel) throws SocketException
    {
        super(socketImpl());
        this.channel = channel;
    }

    private static SocketImpl socketImpl()
    {
        return null;
    }

    @Override
    public SocketChannel getChannel()
    {
        return channel;
    }

    @Override
    public void connect(final SocketAddress endpoint) throws IOException
    {
        channel.connect(endpoint);
    }

    @Override
    public void connect(final SocketAddress endpoint, final int timeout) throws IOException
    {
        channel.connect(endpoint);
    }

    @Override
    public void bind(final SocketAddress bindpoint) throws IOException
    {
        channel.bind(bindpoint);
    }

    @Override
    public InetAddress getInetAddress()
    {
        final InetSocketAddress remote = remote();
        return null == remote ? null : remote.getAddress();
    }

    @Override
    public int getPort()
    {
        final InetSocketAddress remote = remote();
        return null == remote ? 0 : remote.getPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress()
    {
        return remote();
    }

    private InetSocketAddress remote()
    {
        try
        {
            return channel.isOpen() ? (InetSocketAddress)channel.getRemoteAddress() : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
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
    public InetAddress getLocalAddress()
    {
        final InetSocketAddress local = local();
        return null == local ? new InetSocketAddress(0).getAddress() : local.getAddress();
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
    public InputStream getInputStream() throws IOException
    {
        requireConnected();
        return Channels.newInputStream(channel);
    }

    @Override
    public OutputStream getOutputStream() throws IOException
    {
        requireConnected();
        return Channels.newOutputStream(channel);
    }

    private void requireConnected() throws SocketException
    {
        if (!channel.isOpen())
        {
            throw new SocketException("Socket is closed");
        }
        if (!channel.isConnected())
        {
            throw new SocketException("Socket is not connected");
        }
    }

    private <T> void set(final SocketOption<T> name, final T value) throws SocketException
    {
        try
        {
            channel.setOption(name, value);
        }
        catch (final SocketException ex)
        {
            throw ex;
        }
        catch (final IOException ex)
        {
            throw new SocketException(ex.getMessage());
        }
    }

    private <T> T get(final SocketOption<T> name) throws SocketException
    {
        try
        {
            return channel.getOption(name);
        }
        catch (final SocketException ex)
        {
            throw ex;
        }
        catch (final IOException ex)
        {
            throw new SocketException(ex.getMessage());
        }
    }

    @Override
    public void setTcpNoDelay(final boolean on) throws SocketException
    {
        set(StandardSocketOptions.TCP_NODELAY, on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException
    {
        return get(StandardSocketOptions.TCP_NODELAY);
    }

    @Override
    public void setSoLinger(final boolean on, final int linger) throws SocketException
    {
        set(StandardSocketOptions.SO_LINGER, on ? linger : -1);
    }

    @Override
    public int getSoLinger() throws SocketException
    {
        return get(StandardSocketOptions.SO_LINGER);
    }

    @Override
    public void sendUrgentData(final int data) throws IOException
    {
        throw new SocketException("Urgent data not supported by XTS sockets");
    }

    @Override
    public void setOOBInline(final boolean on)
    {
        oobInline = on;
    }

    @Override
    public boolean getOOBInline()
    {
        return oobInline;
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
    public void setSendBufferSize(final int size) throws SocketException
    {
        set(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException
    {
        return get(StandardSocketOptions.SO_SNDBUF);
    }

    @Override
    public void setReceiveBufferSize(final int size) throws SocketException
    {
        set(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException
    {
        return get(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public void setKeepAlive(final boolean on) throws SocketException
    {
        set(StandardSocketOptions.SO_KEEPALIVE, on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException
    {
        return get(StandardSocketOptions.SO_KEEPALIVE);
    }

    @Override
    public void setTrafficClass(final int tc) throws SocketException
    {
        set(StandardSocketOptions.IP_TOS, tc);
    }

    @Override
    public int getTrafficClass() throws SocketException
    {
        return get(StandardSocketOptions.IP_TOS);
    }

    @Override
    public void setReuseAddress(final boolean on) throws SocketException
    {
        set(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException
    {
        return get(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public <T> Socket setOption(final SocketOption<T> name, final T value) throws IOException
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
    public void close() throws IOException
    {
        channel.close();
    }

    @Override
    public void shutdownInput() throws IOException
    {
        channel.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException
    {
        channel.shutdownOutput();
    }

    @Override
    public String toString()
    {
        return channel.isConnected() ? "Socket[addr=" + getInetAddress() + ",port=" + getPort() + ",localport=" +
            getLocalPort() + "]" : "Socket[unconnected]";
    }

    @Override
    public boolean isConnected()
    {
        return channel.isConnected();
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
    public boolean isInputShutdown()
    {
        return channel.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown()
    {
        return channel.isOutputShutdown();
    }
}
