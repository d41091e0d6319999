package io.xts.proxy;

import io.xts.link.LinkListener;
import io.xts.link.XtsLink;
import io.xts.protocol.ConnectFlyweight;
import io.xts.protocol.EstablishedFlyweight;
import io.xts.protocol.ListenFlyweight;
import io.xts.protocol.ListenResultFlyweight;
import io.xts.protocol.OptionResultFlyweight;
import io.xts.protocol.SetOptionFlyweight;
import io.xts.protocol.SocketErrorFlyweight;
import io.xts.protocol.SocketResetFlyweight;
import io.xts.protocol.StreamCreditFlyweight;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.xts.protocol.XtsFrameDescriptor.*;

/**
 * The app host's end of the socket protocol, as small as the tests need, on a plain {@link XtsLink}: it sends
 * CONNECT, LISTEN, DATA within the proxy's credit, CREDIT as it consumes (or not, for a slow app), SHUTDOWN, CLOSE,
 * RESET and SET_OPTION, and records everything the proxy sends, checking on every DATA that the proxy never sent
 * past the credit this app granted.
 */
final class AppHost implements LinkListener
{
    /** What the app knows of one socket. */
    static final class Socket
    {
        final int id;
        int connectErrno = -1;
        int listenErrno = -1;
        InetSocketAddress local;
        InetSocketAddress remote;
        InetSocketAddress bound;
        int listenerId;
        /** The proxy's grant: the app may send DATA up to this position. */
        long sendLimit;
        long sent;
        byte[] toSend;
        int toSendOffset;
        boolean shutdownAfterSend;
        boolean shutdownSent;
        /** The window the app grants the proxy, and how far it advertised. */
        int receiveWindow;
        long consumed;
        long advertised;
        boolean autoCredit = true;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean peerShutdown;
        boolean dataAfterShutdown;
        int resetErrno = -1;
        int optionErrno = -1;
        long optionValue;
        int creditOverruns;

        Socket(final int id)
        {
            this.id = id;
        }

        long receivedBytes()
        {
            return received.size();
        }
    }

    /** One ERROR the proxy sent. */
    record Error(int id, int errno, int type, String text)
    {
    }

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment scratch = arena.allocate(4096);
    final Map<Integer, Socket> sockets = new HashMap<>();
    final List<Error> errors = new ArrayList<>();
    final List<Integer> acceptedIds = new ArrayList<>();
    final List<String> linkDowns = new ArrayList<>();
    XtsLink link;
    private final byte[] copy = new byte[65536];

    Socket socket(final int id)
    {
        return sockets.computeIfAbsent(id, Socket::new);
    }

    // ---- to the proxy ----

    boolean connect(final int id, final InetSocketAddress remote, final int receiveWindow, final int flags)
    {
        return connect(id, remote, receiveWindow, flags, 0);
    }

    boolean connect(
        final int id, final InetSocketAddress remote, final int receiveWindow, final int flags, final int sendBuffer)
    {
        final ConnectFlyweight c = new ConnectFlyweight().wrap(scratch, 0, ConnectFlyweight.LENGTH);
        c.remote(remote).timeoutMillis(0).receiveWindow(receiveWindow).flags(flags).receiveBuffer(0)
            .sendBuffer(sendBuffer);
        socket(id).receiveWindow = receiveWindow;
        return link.offer(TYPE_SOCKET_CONNECT, id, scratch, 0, ConnectFlyweight.LENGTH);
    }

    boolean listen(final int id, final InetSocketAddress local, final int receiveWindow)
    {
        final ListenFlyweight l = new ListenFlyweight().wrap(scratch, 0, ListenFlyweight.LENGTH);
        l.local(local).backlog(16).receiveWindow(receiveWindow).flags(0);
        socket(id).receiveWindow = receiveWindow;
        return link.offer(TYPE_SOCKET_LISTEN, id, scratch, 0, ListenFlyweight.LENGTH);
    }

    boolean raw(final int type, final int id, final byte[] body)
    {
        MemorySegment.copy(body, 0, scratch, ValueLayout.JAVA_BYTE, 0, body.length);
        return link.offer(type, id, scratch, 0, body.length);
    }

    boolean empty(final int type, final int id)
    {
        return link.offer(type, id, scratch, 0, 0);
    }

    boolean setOption(final int id, final int option, final long value)
    {
        new SetOptionFlyweight().wrap(scratch, 0, SetOptionFlyweight.LENGTH).option(option).value(value);
        return link.offer(TYPE_SOCKET_SET_OPTION, id, scratch, 0, SetOptionFlyweight.LENGTH);
    }

    boolean credit(final int id, final long position, final int window)
    {
        new StreamCreditFlyweight().wrap(scratch, 0, StreamCreditFlyweight.LENGTH).write(position, window);
        return link.offer(TYPE_SOCKET_CREDIT, id, scratch, 0, StreamCreditFlyweight.LENGTH);
    }

    /** Queue bytes to send on a socket within the proxy's credit, then SHUTDOWN if asked. */
    void send(final int id, final byte[] data, final boolean shutdownAfter)
    {
        final Socket s = socket(id);
        s.toSend = data;
        s.toSendOffset = 0;
        s.shutdownAfterSend = shutdownAfter;
    }

    /** Send DATA as the credit allows, and credits that are due; called every step. */
    void pump()
    {
        for (final Socket s : sockets.values())
        {
            while (null != s.toSend && s.toSendOffset < s.toSend.length && s.sent < s.sendLimit)
            {
                final int n = (int)Math.min(Math.min(link.maxMessageLength(), s.toSend.length - s.toSendOffset),
                    s.sendLimit - s.sent);
                final long body = link.claim(TYPE_SOCKET_DATA, s.id, n);
                if (body < 0)
                {
                    return;
                }
                MemorySegment.copy(s.toSend, s.toSendOffset, link.memory(), ValueLayout.JAVA_BYTE, body, n);
                s.toSendOffset += n;
                s.sent += n;
            }
            if (null != s.toSend && s.toSendOffset == s.toSend.length && s.shutdownAfterSend && !s.shutdownSent)
            {
                if (!empty(TYPE_SOCKET_SHUTDOWN, s.id))
                {
                    return;
                }
                s.shutdownSent = true;
            }
            if (s.autoCredit && s.consumed - s.advertised >= s.receiveWindow / 4 && s.consumed > s.advertised)
            {
                if (!credit(s.id, s.consumed, s.receiveWindow))
                {
                    return;
                }
                s.advertised = s.consumed;
            }
        }
    }

    // ---- from the proxy ----

    @Override
    public boolean onMessage(
        final int type, final int id, final MemorySegment memory, final long offset, final int length)
    {
        final Socket s = socket(id);
        switch (type)
        {
            case TYPE_SOCKET_CONNECT_RESULT ->
            {
                final EstablishedFlyweight e = new EstablishedFlyweight().wrap(memory, offset, length);
                s.connectErrno = e.errno();
                s.sendLimit = e.sendWindow();
                s.local = e.local();
                s.remote = e.remote();
            }
            case TYPE_SOCKET_ACCEPTED ->
            {
                final EstablishedFlyweight e = new EstablishedFlyweight().wrap(memory, offset, length);
                s.listenerId = e.listenerId();
                s.sendLimit = e.sendWindow();
                s.local = e.local();
                s.remote = e.remote();
                s.receiveWindow = socket(e.listenerId()).receiveWindow;
                acceptedIds.add(id);
            }
            case TYPE_SOCKET_LISTEN_RESULT ->
            {
                final ListenResultFlyweight l = new ListenResultFlyweight().wrap(memory, offset, length);
                s.listenErrno = l.errno();
                s.bound = l.bound();
            }
            case TYPE_SOCKET_DATA ->
            {
                if (s.peerShutdown)
                {
                    s.dataAfterShutdown = true;
                }
                if (s.receivedBytes() + length > s.advertised + s.receiveWindow)
                {
                    s.creditOverruns++;
                }
                MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, copy, 0, length);
                s.received.write(copy, 0, length);
                if (s.autoCredit)
                {
                    s.consumed += length;
                }
            }
            case TYPE_SOCKET_CREDIT ->
            {
                final StreamCreditFlyweight c = new StreamCreditFlyweight().wrap(memory, offset, length);
                s.sendLimit = Math.max(s.sendLimit, c.position() + c.window());
            }
            case TYPE_SOCKET_SHUTDOWN -> s.peerShutdown = true;
            case TYPE_SOCKET_RESET -> s.resetErrno = new SocketResetFlyweight().wrap(memory, offset, length).errno();
            case TYPE_SOCKET_ERROR ->
            {
                final SocketErrorFlyweight e = new SocketErrorFlyweight().wrap(memory, offset, length);
                errors.add(new Error(id, e.errno(), e.offendingType(), e.text()));
            }
            case TYPE_SOCKET_OPTION_RESULT ->
            {
                final OptionResultFlyweight o = new OptionResultFlyweight().wrap(memory, offset, length);
                s.optionErrno = o.errno();
                s.optionValue = o.value();
            }
            default -> throw new AssertionError("unexpected message type 0x" + Integer.toHexString(type));
        }
        return true;
    }

    @Override
    public void onLinkDown(final String reason)
    {
        linkDowns.add(reason);
    }
}
