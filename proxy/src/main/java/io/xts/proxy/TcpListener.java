package io.xts.proxy;

import io.xts.protocol.EstablishedFlyweight;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static io.xts.protocol.SocketMessages.FLAG_SO_REUSEADDR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_ACCEPTED;

/**
 * A listening TCP socket the proxy holds for an app host. It accepts only when the link can carry the ACCEPTED
 * message (the message is claimed first, then the connection accepted into it), so accepted connections never queue
 * in the proxy: while the link is full they wait in the kernel's backlog, which the app sized. Each accepted
 * connection gets a proxy-allocated id (0x80000000 | n) and passes the per-link limits, or is refused with an RST and
 * counted.
 */
final class TcpListener extends ProxySocket
{
    /** Connections accepted per readiness, so one busy listener cannot starve everything else. */
    private static final int ACCEPT_BURST = 16;

    private final ServerSocketChannel channel;
    private final SelectionKey key;
    private final int receiveWindow;
    private final int flags;

    private TcpListener(
        final LinkSession session, final int id, final ServerSocketChannel channel, final int receiveWindow,
        final int flags) throws IOException
    {
        super(session, id);
        this.channel = channel;
        this.receiveWindow = receiveWindow;
        this.flags = flags;
        this.key = channel.register(session.selector, SelectionKey.OP_ACCEPT, this);
    }

    /**
     * Bind and listen.
     *
     * @throws IOException as bind reports it (EADDRINUSE, EADDRNOTAVAIL, EACCES...).
     */
    static TcpListener listen(
        final LinkSession session, final int id, final InetSocketAddress local, final int backlog,
        final int receiveWindow, final int flags) throws IOException
    {
        final ServerSocketChannel channel = ServerSocketChannel.open(
            local.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try
        {
            channel.configureBlocking(false);
            if (0 != (flags & FLAG_SO_REUSEADDR))
            {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            channel.bind(local, backlog);
            return new TcpListener(session, id, channel, receiveWindow, flags);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    InetSocketAddress boundAddress()
    {
        try
        {
            return (InetSocketAddress)channel.getLocalAddress();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    ServerSocketChannel channel()
    {
        return channel;
    }

    @Override
    boolean visibleToApp()
    {
        return true;
    }

    @Override
    void onReady(final SelectionKey readyKey)
    {
        final AppPort link = session.port;
        for (int i = 0; i < ACCEPT_BURST; i++)
        {
            final int newId = session.nextAcceptedId();
            final long body = link.claim(TYPE_SOCKET_ACCEPTED, newId, EstablishedFlyweight.LENGTH);
            if (body < 0)
            {
                // The link is full: the connection waits in the kernel's backlog until it has room.
                return;
            }
            final SocketChannel accepted;
            try
            {
                accepted = channel.accept();
            }
            catch (final IOException ex)
            {
                link.trimClaim(0);
                session.event("accept-failed listener=" + Integer.toUnsignedString(id) + " error=" + ex.getMessage());
                return;
            }
            if (null == accepted)
            {
                link.trimClaim(0);
                return;
            }
            if (!session.admitAccepted(body, newId, id, accepted, flags, receiveWindow))
            {
                link.trimClaim(0);
            }
        }
    }

    @Override
    void abort()
    {
        close();
    }

    /** Stop listening; connections already accepted are unaffected. */
    void close()
    {
        key.cancel();
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing more can be done with it
        }
    }
}
