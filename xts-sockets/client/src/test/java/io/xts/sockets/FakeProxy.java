package io.xts.sockets;

import io.xts.link.FrameTransport;
import io.xts.link.LinkConfig;
import io.xts.link.LinkCounters;
import io.xts.link.LinkListener;
import io.xts.link.LinkState;
import io.xts.link.XtsLink;
import io.xts.protocol.ConnectFlyweight;
import io.xts.protocol.EstablishedFlyweight;
import io.xts.protocol.ListenFlyweight;
import io.xts.protocol.ListenResultFlyweight;
import io.xts.protocol.OptionResultFlyweight;
import io.xts.protocol.SetOptionFlyweight;
import io.xts.protocol.SocketErrorFlyweight;
import io.xts.protocol.SocketMessages;
import io.xts.protocol.SocketResetFlyweight;
import io.xts.protocol.StreamCreditFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;

import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_ACCEPTED;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_LISTEN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_LISTEN_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_OPTION_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SET_OPTION;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SHUTDOWN;

/**
 * A scripted stand-in for the offload proxy, on the other end of an in-process link and on its own thread: it answers
 * CONNECT (success, or an errno chosen per destination port, or silence), LISTEN and SET_OPTION, echoes DATA back
 * within the app's credit, grants credit as it echoes, and on demand sends ACCEPTED, DATA, SHUTDOWN and RESET. It
 * records every message per socket id and checks the app never sends more DATA than it granted. The test thread
 * talks to it only through {@link #call}, which runs on the proxy's thread, so its state needs no locking.
 */
final class FakeProxy implements LinkListener, AutoCloseable
{
    /** Connects to this port are never answered. */
    static final int SILENT_PORT = 9;
    static final InetSocketAddress PROXY_LOCAL = new InetSocketAddress("198.18.0.1", 40000);

    /** One TCP connection as the proxy sees it. */
    static final class Connection
    {
        final int id;
        final List<Integer> types = new ArrayList<>();
        /** Window the proxy granted the app for its DATA. */
        final int window;
        long grantedToApp;
        long receivedFromApp;
        long consumedFromApp;
        long advertised;
        /** What the app allows us to send (its receive window and CREDITs). */
        long appLimit;
        long sentToApp;
        boolean echo = true;
        boolean holdCredit;
        final ByteBuffer pending;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean keepReceived;
        int connectFlags;
        long connectRcvBuf;

        Connection(final int id, final int window, final long appWindow)
        {
            this.id = id;
            this.window = window;
            this.grantedToApp = window;
            this.appLimit = appWindow;
            this.pending = ByteBuffer.allocate(window);
        }
    }

    private final XtsLink link;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile boolean driving = true;

    final Map<Integer, Connection> connections = new HashMap<>();
    final Map<Integer, List<Integer>> messages = new HashMap<>();
    final Map<Integer, Integer> errnoByPort = new HashMap<>();
    int sendWindow = 16 * 1024;
    int optionErrno;
    long creditViolations;
    long creditsSent;
    int nextAcceptedId = SocketMessages.PROXY_ALLOCATED_ID | 1;

    private final ConnectFlyweight connect = new ConnectFlyweight();
    private final ListenFlyweight listen = new ListenFlyweight();
    private final EstablishedFlyweight established = new EstablishedFlyweight();
    private final ListenResultFlyweight listenResult = new ListenResultFlyweight();
    private final SetOptionFlyweight setOption = new SetOptionFlyweight();
    private final OptionResultFlyweight optionResult = new OptionResultFlyweight();
    private final SocketResetFlyweight reset = new SocketResetFlyweight();
    private final SocketErrorFlyweight error = new SocketErrorFlyweight();
    private final StreamCreditFlyweight credit = new StreamCreditFlyweight();
    private final byte[] chunk = new byte[4096];

    FakeProxy(final FrameTransport transport)
    {
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(16 * 1024)));
        link = new XtsLink(transport, LinkConfig.defaults(), this, new LinkCounters(counters, "fake-proxy"),
            System.nanoTime());
        thread = new Thread(this::run, "fake-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    private void run()
    {
        while (running)
        {
            int work = 0;
            Runnable command;
            while (null != (command = commands.poll()))
            {
                command.run();
                work++;
            }
            if (driving)
            {
                work += pumpEchoes();
                work += link.doWork(System.nanoTime());
            }
            if (0 == work)
            {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /**
     * Run {@code action} on the proxy's thread and return its result.
     */
    <T> T call(final Function<FakeProxy, T> action)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        commands.add(() ->
        {
            try
            {
                result.complete(action.apply(this));
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        });
        try
        {
            return result.get(10, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new AssertionError("fake proxy command failed", ex);
        }
    }

    void run(final Consumer<FakeProxy> action)
    {
        call(p ->
        {
            action.accept(p);
            return null;
        });
    }

    /** Stop driving the link: to the app this proxy is now dead (no frames, no heartbeats). */
    void goSilent()
    {
        driving = false;
    }

    boolean isUp()
    {
        return call(p -> LinkState.UP == p.link.state());
    }

    @Override
    public void close()
    {
        running = false;
        try
        {
            thread.join(5000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        link.close();
    }

    // ---- on demand (call on the proxy's thread) ----

    int accept(final int listenerId, final InetSocketAddress remote)
    {
        final int id = nextAcceptedId++;
        final long body = claimOrFail(TYPE_SOCKET_ACCEPTED, id, EstablishedFlyweight.LENGTH);
        established.wrap(link.memory(), body, EstablishedFlyweight.LENGTH).listenerId(listenerId)
            .sendWindow(sendWindow).local(PROXY_LOCAL).remote(remote);
        connections.put(id, new Connection(id, sendWindow, listenWindow));
        return id;
    }

    void sendData(final int id, final byte[] bytes)
    {
        for (int at = 0; at < bytes.length; )
        {
            final int n = Math.min(bytes.length - at, link.maxMessageLength());
            final long body = claimOrFail(TYPE_SOCKET_DATA, id, n);
            MemorySegment.copy(bytes, at, link.memory(), ValueLayout.JAVA_BYTE, body, n);
            at += n;
        }
        final Connection c = connections.get(id);
        if (null != c)
        {
            c.sentToApp += bytes.length;
        }
    }

    void sendShutdown(final int id)
    {
        claimOrFail(TYPE_SOCKET_SHUTDOWN, id, 0);
    }

    void sendReset(final int id, final int errno)
    {
        final long body = claimOrFail(TYPE_SOCKET_RESET, id, SocketResetFlyweight.LENGTH);
        reset.wrap(link.memory(), body, SocketResetFlyweight.LENGTH).errno(errno);
    }

    void sendCredit(final int id, final long position, final int window)
    {
        final long body = claimOrFail(TYPE_SOCKET_CREDIT, id, StreamCreditFlyweight.LENGTH);
        credit.wrap(link.memory(), body, StreamCreditFlyweight.LENGTH).write(position, window);
    }

    private long claimOrFail(final int type, final int id, final int length)
    {
        final long body = link.claim(type, id, length);
        if (body < 0)
        {
            throw new IllegalStateException("fake proxy: link full for message " + type);
        }
        return body;
    }

    List<Integer> messagesFor(final int id)
    {
        return new ArrayList<>(messages.getOrDefault(id, List.of()));
    }

    private long listenWindow;

    // ---- the proxy's side of the protocol ----

    @Override
    public boolean onMessage(
        final int type, final int id, final MemorySegment memory, final long offset, final int length)
    {
        messages.computeIfAbsent(id, k -> new ArrayList<>()).add(type);
        switch (type)
        {
            case TYPE_SOCKET_CONNECT -> onConnect(id, memory, offset, length);
            case TYPE_SOCKET_LISTEN -> onListen(id, memory, offset, length);
            case TYPE_SOCKET_DATA -> onData(id, memory, offset, length);
            case TYPE_SOCKET_CREDIT ->
            {
                credit.wrap(memory, offset, length);
                final Connection c = connections.get(id);
                if (null != c)
                {
                    c.appLimit = Math.max(c.appLimit, credit.position() + credit.window());
                }
            }
            case TYPE_SOCKET_SET_OPTION -> onSetOption(id, memory, offset, length);
            case TYPE_SOCKET_CLOSE, TYPE_SOCKET_RESET -> connections.remove(id);
            default ->
            {
            }
        }
        return true;
    }

    private void onConnect(final int id, final MemorySegment memory, final long offset, final int length)
    {
        connect.wrap(memory, offset, length);
        final InetSocketAddress remote = connect.remote();
        final int port = remote.getPort();
        if (SILENT_PORT == port)
        {
            return;
        }
        final int errno = errnoByPort.getOrDefault(port, 0);
        final long body = claimOrFail(TYPE_SOCKET_CONNECT_RESULT, id, EstablishedFlyweight.LENGTH);
        established.wrap(link.memory(), body, EstablishedFlyweight.LENGTH).errno(errno);
        if (0 != errno)
        {
            established.sendWindow(0).local(null).remote(null);
            return;
        }
        established.sendWindow(sendWindow).local(PROXY_LOCAL).remote(remote);
        final Connection c = new Connection(id, sendWindow, connect.receiveWindow());
        c.connectFlags = connect.flags();
        c.connectRcvBuf = connect.receiveBuffer();
        connections.put(id, c);
    }

    private void onListen(final int id, final MemorySegment memory, final long offset, final int length)
    {
        listen.wrap(memory, offset, length);
        final InetSocketAddress local = listen.local();
        listenWindow = listen.receiveWindow();
        final int errno = errnoByPort.getOrDefault(local.getPort(), 0);
        final long body = claimOrFail(TYPE_SOCKET_LISTEN_RESULT, id, ListenResultFlyweight.LENGTH);
        listenResult.wrap(link.memory(), body, ListenResultFlyweight.LENGTH).errno(errno)
            .bound(0 == errno ? new InetSocketAddress(local.getAddress(), 0 == local.getPort() ? 45678 :
                local.getPort()) : null);
    }

    private void onData(final int id, final MemorySegment memory, final long offset, final int length)
    {
        final Connection c = connections.get(id);
        if (null == c)
        {
            final long body = claimOrFail(TYPE_SOCKET_ERROR, id, SocketErrorFlyweight.lengthFor("unknown id"));
            error.wrap(link.memory(), body, SocketErrorFlyweight.lengthFor("unknown id"))
                .write(SocketMessages.EBADF, TYPE_SOCKET_DATA, "unknown id");
            return;
        }
        if (c.receivedFromApp + length > c.grantedToApp)
        {
            // Counted, and the bytes dropped: the test fails on the count.
            creditViolations++;
            return;
        }
        c.receivedFromApp += length;
        final byte[] bytes = new byte[length];
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
        if (c.keepReceived)
        {
            c.received.writeBytes(bytes);
            c.consumedFromApp += length;
            maybeCredit(c);
        }
        else if (c.echo)
        {
            // Room is guaranteed: we only grant credit for bytes already echoed.
            c.pending.put(bytes);
        }
    }

    private void onSetOption(final int id, final MemorySegment memory, final long offset, final int length)
    {
        setOption.wrap(memory, offset, length);
        final int option = setOption.option();
        final long value = SocketMessages.OPTION_SO_RCVBUF == option ? setOption.value() * 2 : setOption.value();
        final long body = claimOrFail(TYPE_SOCKET_OPTION_RESULT, id, OptionResultFlyweight.LENGTH);
        optionResult.wrap(link.memory(), body, OptionResultFlyweight.LENGTH).option(option).errno(optionErrno)
            .value(value);
    }

    private int pumpEchoes()
    {
        if (LinkState.UP != link.state())
        {
            return 0;
        }
        int work = 0;
        for (final Connection c : connections.values())
        {
            c.pending.flip();
            while (c.pending.hasRemaining())
            {
                final int n = (int)Math.min(Math.min(c.pending.remaining(), c.appLimit - c.sentToApp),
                    Math.min(chunk.length, link.maxMessageLength()));
                if (n <= 0)
                {
                    break;
                }
                final long body = link.claim(TYPE_SOCKET_DATA, c.id, n);
                if (body < 0)
                {
                    break;
                }
                c.pending.get(chunk, 0, n);
                MemorySegment.copy(chunk, 0, link.memory(), ValueLayout.JAVA_BYTE, body, n);
                c.sentToApp += n;
                c.consumedFromApp += n;
                work++;
            }
            c.pending.compact();
            work += maybeCredit(c);
        }
        return work;
    }

    private int maybeCredit(final Connection c)
    {
        if (!c.holdCredit && c.consumedFromApp - c.advertised >= c.window / 4)
        {
            final long body = link.claim(TYPE_SOCKET_CREDIT, c.id, StreamCreditFlyweight.LENGTH);
            if (body >= 0)
            {
                credit.wrap(link.memory(), body, StreamCreditFlyweight.LENGTH).write(c.consumedFromApp, c.window);
                c.advertised = c.consumedFromApp;
                c.grantedToApp = c.consumedFromApp + c.window;
                creditsSent++;
                return 1;
            }
        }
        return 0;
    }
}
