package io.xts.proxy;

import io.xts.link.CreditWindow;
import io.xts.proxy.nvme.NvmeQueueOffload;
import io.xts.proxy.nvme.OffloadSocket;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

import static io.xts.protocol.SocketMessages.EBADMSG;
import static io.xts.protocol.SocketMessages.ECONNRESET;
import static io.xts.protocol.SocketMessages.EINVAL;
import static io.xts.protocol.SocketMessages.ENOTCONN;
import static io.xts.protocol.SocketMessages.EPROTO;
import static io.xts.protocol.SocketMessages.ETIMEDOUT;
import static io.xts.protocol.SocketMessages.FLAG_SO_KEEPALIVE;
import static io.xts.protocol.SocketMessages.FLAG_SO_REUSEADDR;
import static io.xts.protocol.SocketMessages.FLAG_TCP_NODELAY;
import static io.xts.protocol.SocketMessages.OPTION_SO_KEEPALIVE;
import static io.xts.protocol.SocketMessages.OPTION_SO_RCVBUF;
import static io.xts.protocol.SocketMessages.OPTION_SO_REUSEADDR;
import static io.xts.protocol.SocketMessages.OPTION_SO_SNDBUF;
import static io.xts.protocol.SocketMessages.OPTION_TCP_NODELAY;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SHUTDOWN;

/**
 * One TCP connection the proxy terminates for an app host: a non-blocking {@link SocketChannel} and the two byte
 * windows of the XTS socket protocol. App to peer, DATA is written from the memory it arrived in (the link's receive
 * frame, or the two-thread mode's ring) straight into the kernel; what the kernel does not take waits in a pending
 * buffer of exactly the send window (allocated off-heap only when first needed, freed at close; it can never overflow
 * because the app may not send past the credit, and credit is returned only as bytes reach the kernel). Peer to app,
 * bytes are read from the kernel straight into a DATA message claimed through the session's {@link AppPort} (a link TX
 * frame, or a ring record), never more than the app's credit, and OP_READ is dropped while there is no credit, so a
 * slow app closes the real TCP window on the peer. The messages the connection owes the app (the connect result, a
 * credit update, SHUTDOWN, RESET) are flags, sent in that order by {@link #flush()} when the link has room, so nothing
 * queues without bound. Memory per connection: the send window (only while the kernel refuses data) plus this object's
 * fixed state. Nothing on the DATA paths allocates.
 * <p>
 * After a ULP_PUSH the connection carries one NVMe/TCP queue ({@link NvmeQueueOffload}): peer-to-app bytes are read
 * into the offload's staging buffer instead of DATA messages and leave as PDU_HEADER/DDP_PLACE (or DATA while it
 * searches); app-to-peer DATA has its digests filled in before it goes anywhere. A malformed PDU either way, or a
 * header digest error, ends the connection with ERROR EBADMSG, RST and RESET EBADMSG.
 */
final class TcpConnection extends ProxySocket implements OffloadSocket
{
    /** DATA messages read from one connection per readiness, so one busy connection cannot starve the others. */
    private static final int READ_BURST = 16;
    /** Below this room in the frame being filled, a read claims a whole message's worth (a fresh frame) instead. */
    private static final int MIN_CLAIM = 512;
    /** Most DATA bodies gathered into one write. */
    private static final int GATHER_MAX = 64;

    enum State
    {
        /** Non-blocking connect in progress, or done and the result not yet sent. */
        CONNECTING,
        /** Connected, the app told. */
        ESTABLISHED,
        /** The app sent CLOSE: writing what is still pending, then FIN; the id is gone for the app. */
        CLOSING,
        /** The TCP socket is gone; a failed connect result or a RESET is still owed to the app. */
        DEAD
    }

    private final SocketChannel channel;
    private final SelectionKey key;
    private final InetSocketAddress requestedRemote;
    /** What the proxy may send the app: the app's receive window (its credit). */
    private final CreditWindow toApp;
    /** What the app may send the proxy: the send window the proxy grants, returned as bytes reach the kernel. */
    private final CreditWindow fromApp;
    private final int sendWindow;
    private State state;
    private long receivedFromApp;
    private long grantedToApp;
    private Arena pendingArena;
    private ByteBuffer pending;
    /** This duty cycle's DATA bodies, still in the link's receive frames, for one gathering write at its end. */
    private ByteBuffer[] gathered;
    private int gatheredCount;
    private boolean appShutdown;
    private boolean outputShut;
    private boolean peerEof;
    private boolean connectResultOwed;
    private int connectErrno;
    private boolean shutdownOwed;
    private int resetOwed;
    /** The text of an ERROR owed before the RESET (a fatal NVMe/TCP stream error), or null. */
    private String errorOwed;
    /** The NVMe/TCP offload after an accepted ULP_PUSH, else null. */
    private NvmeQueueOffload ulp;
    private long deadlineNs;
    private int interest = -1;
    boolean owing;
    boolean timed;
    boolean freed;

    private TcpConnection(
        final LinkSession session, final int id, final SocketChannel channel, final InetSocketAddress requestedRemote,
        final int receiveWindow, final int sendWindow, final State state) throws ClosedChannelException
    {
        super(session, id);
        this.channel = channel;
        this.requestedRemote = requestedRemote;
        this.toApp = new CreditWindow(receiveWindow);
        this.fromApp = new CreditWindow(sendWindow);
        this.sendWindow = sendWindow;
        this.state = state;
        this.key = channel.register(session.selector, 0, this);
    }

    /**
     * Open a socket of the destination's family, apply the options and start a non-blocking connect. A connect that
     * fails at once (an unreachable network is reported synchronously) still yields a connection, in state DEAD with
     * the failed result owed, so every outcome reaches the app the same way.
     */
    static TcpConnection connect(
        final LinkSession session, final int id, final InetSocketAddress remote, final int flags,
        final int receiveBuffer, final int sendBuffer, final int receiveWindow, final int sendWindow,
        final long deadlineNs) throws IOException
    {
        final SocketChannel channel = SocketChannel.open(
            remote.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 :
                StandardProtocolFamily.INET);
        final TcpConnection c;
        try
        {
            channel.configureBlocking(false);
            applyFlags(channel, flags);
            if (receiveBuffer > 0)
            {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer);
            }
            if (sendBuffer > 0)
            {
                channel.setOption(StandardSocketOptions.SO_SNDBUF, sendBuffer);
            }
            c = new TcpConnection(session, id, channel, remote, receiveWindow, sendWindow, State.CONNECTING);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        c.deadlineNs = deadlineNs;
        try
        {
            if (channel.connect(remote))
            {
                c.connected();
            }
            else
            {
                c.updateInterest();
                session.timed(c);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            c.failConnect(Errno.of(ex, ECONNRESET));
        }
        return c;
    }

    /**
     * Adopt a connection a listener accepted: the app is told with ACCEPTED (written by the listener), so it starts
     * established and reading.
     */
    static TcpConnection accepted(
        final LinkSession session, final int id, final SocketChannel channel, final int flags, final int receiveWindow,
        final int sendWindow) throws IOException
    {
        channel.configureBlocking(false);
        applyFlags(channel, flags);
        final TcpConnection c = new TcpConnection(
            session, id, channel, null, receiveWindow, sendWindow, State.ESTABLISHED);
        c.grantedToApp = sendWindow;
        c.updateInterest();
        return c;
    }

    static void applyFlags(final SocketChannel channel, final int flags) throws IOException
    {
        if (0 != (flags & FLAG_TCP_NODELAY))
        {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        if (0 != (flags & FLAG_SO_KEEPALIVE))
        {
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        }
        if (0 != (flags & FLAG_SO_REUSEADDR))
        {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        }
    }

    State state()
    {
        return state;
    }

    int sendWindow()
    {
        return sendWindow;
    }

    InetSocketAddress localAddress()
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

    InetSocketAddress remoteAddress()
    {
        try
        {
            final InetSocketAddress remote = (InetSocketAddress)channel.getRemoteAddress();
            return null != remote ? remote : requestedRemote;
        }
        catch (final IOException ex)
        {
            return requestedRemote;
        }
    }

    @Override
    boolean visibleToApp()
    {
        return State.CLOSING != state;
    }

    // ---- readiness (selector) ----

    @Override
    void onReady(final SelectionKey readyKey)
    {
        if (freed)
        {
            return;
        }
        final int ready = readyKey.readyOps();
        if (0 != (ready & SelectionKey.OP_CONNECT) && State.CONNECTING == state)
        {
            finishConnect();
            return;
        }
        if (0 != (ready & SelectionKey.OP_WRITE))
        {
            drainPending();
        }
        if (0 != (ready & SelectionKey.OP_READ) && State.ESTABLISHED == state)
        {
            readToApp();
        }
    }

    private void finishConnect()
    {
        try
        {
            if (channel.finishConnect())
            {
                connected();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            failConnect(Errno.of(ex, ECONNRESET));
        }
    }

    private void connected()
    {
        connectResultOwed = true;
        connectErrno = 0;
        ProxyCounters.increment(session.counters.connectsOk);
        // Stay CONNECTING (no reading) until the result is on the link: no DATA may overtake it.
        updateInterest();
        session.owe(this);
    }

    private void failConnect(final int errno)
    {
        closeChannel(false);
        state = State.DEAD;
        connectResultOwed = true;
        connectErrno = errno;
        ProxyCounters.increment(session.counters.connectsFailed);
        session.owe(this);
    }

    /**
     * Called by the session's timer scan.
     *
     * @return true when the connection no longer needs the timer.
     */
    boolean checkDeadline(final long nowNs)
    {
        if (State.CONNECTING == state && !connectResultOwed)
        {
            if (nowNs - deadlineNs >= 0)
            {
                ProxyCounters.increment(session.counters.connectTimeouts);
                failConnect(ETIMEDOUT);
                return true;
            }
            return false;
        }
        if (State.CLOSING == state)
        {
            if (nowNs - deadlineNs >= 0)
            {
                // The peer stopped reading for the whole linger time after the app closed: give up with an RST
                // rather than hold the pending buffer for ever.
                session.free(this, true);
                return true;
            }
            return false;
        }
        return true;
    }

    /**
     * Read from the kernel into DATA messages for the app, within its credit and the link's room.
     */
    private void readToApp()
    {
        if (null != ulp)
        {
            readOffloaded();
            return;
        }
        final AppPort link = session.port;
        final ByteBuffer view = session.view;
        for (int messages = 0; messages < READ_BURST; messages++)
        {
            final long credit = toApp.available();
            if (credit <= 0)
            {
                updateInterest();
                return;
            }
            if (session.bulkReads && credit >= 2L * link.maxMessageLength())
            {
                final int bulk = readBulk(link, credit);
                if (bulk <= 0)
                {
                    return;
                }
                continue;
            }
            final int room = link.claimableInFrame();
            final int want = (int)Math.min(credit, room >= MIN_CLAIM ? room : link.maxMessageLength());
            final long body = link.claim(TYPE_SOCKET_DATA, id, want);
            if (body < 0)
            {
                // The link is full: stay readable, the next duty cycle tries again.
                return;
            }
            final int n;
            try
            {
                view.limit((int)body + want).position((int)body);
                n = channel.read(view);
            }
            catch (final IOException ex)
            {
                link.trimClaim(0);
                failEstablished(Errno.ofStream(ex));
                return;
            }
            if (n <= 0)
            {
                link.trimClaim(0);
                if (n < 0)
                {
                    peerEof = true;
                    shutdownOwed = true;
                    updateInterest();
                    session.owe(this);
                }
                return;
            }
            if (n < want)
            {
                link.trimClaim(n);
            }
            toApp.take(n);
            ProxyCounters.add(session.counters.bytesTcpToApp, n);
            ProxyCounters.increment(session.counters.dataTcpToApp);
            if (n < want)
            {
                return;
            }
        }
    }

    /**
     * One scattering read straight into several reserved frames (one read(2) for up to
     * {@link io.xts.link.XtsLink#MAX_BULK} frames instead of one per frame).
     *
     * @return 1 when every reserved byte was filled (read again), 0 when the kernel had less or the port took
     *         nothing, -1 when the connection ended or failed.
     */
    private int readBulk(final AppPort link, final long credit)
    {
        final int reserved = link.claimBulk(TYPE_SOCKET_DATA, id, (int)Math.min(credit, Integer.MAX_VALUE),
            session.bulkOffsets, session.bulkLengths);
        if (0 == reserved)
        {
            return 0;
        }
        final ByteBuffer[] views = session.bulkViews;
        long room = 0;
        for (int i = 0; i < reserved; i++)
        {
            final int at = (int)session.bulkOffsets[i];
            views[i].clear().position(at).limit(at + session.bulkLengths[i]);
            room += session.bulkLengths[i];
        }
        final long n;
        try
        {
            n = channel.read(views, 0, reserved);
        }
        catch (final IOException ex)
        {
            link.commitBulk(0);
            failEstablished(Errno.ofStream(ex));
            return -1;
        }
        if (n <= 0)
        {
            link.commitBulk(0);
            if (n < 0)
            {
                peerEof = true;
                shutdownOwed = true;
                updateInterest();
                session.owe(this);
                return -1;
            }
            return 0;
        }
        link.commitBulk((int)n);
        toApp.take((int)n);
        ProxyCounters.add(session.counters.bytesTcpToApp, n);
        int messages = 0;
        for (long left = n; left > 0 && messages < reserved; messages++)
        {
            left -= session.bulkLengths[messages];
        }
        ProxyCounters.add(session.counters.dataTcpToApp, messages);
        return n == room ? 1 : 0;
    }

    // ---- NVMe/TCP offload ----

    @Override
    public boolean dead()
    {
        return State.DEAD == state;
    }

    @Override
    public boolean established()
    {
        return State.ESTABLISHED == state;
    }

    @Override
    public String stateName()
    {
        return state.name();
    }

    @Override
    public long bytesFromPeer()
    {
        return toApp.sentPosition();
    }

    @Override
    public long bytesFromApp()
    {
        return receivedFromApp;
    }

    @Override
    public NvmeQueueOffload offload()
    {
        return ulp;
    }

    @Override
    public void offload(final NvmeQueueOffload offload)
    {
        this.ulp = offload;
        updateInterest();
    }

    /**
     * Read from the kernel into the offload's staging buffer, within the app's credit, and send what the offload
     * makes of it as far as the link has room.
     */
    private void readOffloaded()
    {
        final NvmeQueueOffload offload = ulp;
        for (int reads = 0; reads < READ_BURST; reads++)
        {
            final long credit = toApp.available();
            if (credit <= 0)
            {
                break;
            }
            final int at = offload.prepareRead();
            if (at < 0)
            {
                break;
            }
            final int want = (int)Math.min(credit, offload.readRoom());
            final ByteBuffer view = offload.stageView();
            final int n;
            try
            {
                view.limit(at + want).position(at);
                n = channel.read(view);
            }
            catch (final IOException ex)
            {
                failEstablished(Errno.ofStream(ex));
                return;
            }
            if (n < 0)
            {
                peerEof = true;
                shutdownOwed = true;
                offload.endOfStream();
                session.owe(this);
                break;
            }
            if (0 == n)
            {
                break;
            }
            toApp.take(n);
            offload.received(n);
            ProxyCounters.add(session.counters.bytesTcpToApp, n);
            if (!drainOffload() || n < want)
            {
                break;
            }
        }
        if (State.ESTABLISHED == state && null != ulp)
        {
            updateInterest();
        }
    }

    /**
     * Send what the offload holds as far as the link has room; end the connection if its stream is malformed.
     *
     * @return true when everything that can go out went (false: the link is full, or the connection ended).
     */
    private boolean drainOffload()
    {
        final int result = ulp.drain();
        if (NvmeQueueOffload.FAILED == result)
        {
            nvmeFatal(ulp.failure(), ulp.failureIsHeaderDigest());
            return false;
        }
        if (NvmeQueueOffload.BLOCKED == result)
        {
            // Revisited every duty cycle (flush) until the link took everything, with or without new bytes from TCP.
            session.owe(this);
            return false;
        }
        return true;
    }

    @Override
    public void onResyncResponse(final long offset, final boolean headerThere)
    {
        if (null == ulp || State.ESTABLISHED != state)
        {
            ProxyCounters.increment(session.counters.nvmeResyncIgnored);
            return;
        }
        if (ulp.onResyncResponse(offset, headerThere))
        {
            drainOffload();
            if (null != ulp)
            {
                updateInterest();
            }
        }
    }

    /**
     * A fatal NVMe/TCP stream error (a malformed PDU either way, or a header digest error): only this socket ends.
     * The TCP connection is reset (RST); the app is told with ERROR EBADMSG naming what was wrong, then RESET EBADMSG.
     */
    void nvmeFatal(final String text, final boolean headerDigest)
    {
        final ProxyCounters counters = session.counters;
        ProxyCounters.increment(counters.nvmeDrop);
        ProxyCounters.increment(headerDigest ? counters.nvmeHdgstErrors : counters.nvmeMalformed);
        session.limitedEvent("nvme-drop id=" + Integer.toUnsignedString(id) + " error=" + text);
        closeChannel(true);
        if (State.CLOSING == state)
        {
            session.free(this, false);
            return;
        }
        errorOwed = text;
        owedReset(EBADMSG);
    }

    private void releaseOffload()
    {
        if (null != ulp)
        {
            ulp.close();
            ulp = null;
            session.offloadEnded();
        }
    }

    // ---- messages from the app ----

    /**
     * DATA from the app: write it from the memory it arrived in (the link's receive frame, or the ring of the
     * two-thread mode) straight to the kernel; keep the rest.
     */
    void onData(final long offset, final int length)
    {
        if (State.DEAD == state)
        {
            // The app will get the RESET already owed; its DATA in flight has nowhere to go.
            return;
        }
        if (State.ESTABLISHED != state || appShutdown)
        {
            protocolViolation();
            return;
        }
        if (receivedFromApp + length > grantedToApp)
        {
            protocolViolation();
            return;
        }
        receivedFromApp += length;
        ProxyCounters.add(session.counters.bytesAppToTcp, length);
        ProxyCounters.increment(session.counters.dataAppToTcp);
        if (null != ulp && !ulp.onAppData(session.rxMemory(), offset, length))
        {
            nvmeFatal(ulp.txFailure(), false);
            return;
        }
        final ByteBuffer view = session.rxView;
        if (session.gatherWrites && (null == pending || 0 == pending.position()))
        {
            if (null == gathered)
            {
                // Once per connection that ever sends: views of the receive memory, repositioned per body.
                gathered = new ByteBuffer[GATHER_MAX];
                for (int i = 0; i < GATHER_MAX; i++)
                {
                    gathered[i] = view.duplicate();
                }
            }
            if (GATHER_MAX == gatheredCount)
            {
                flushGathered();
            }
            if (State.ESTABLISHED == state && (null == pending || 0 == pending.position()))
            {
                gathered[gatheredCount].clear().position((int)offset).limit((int)offset + length);
                if (0 == gatheredCount++)
                {
                    session.gathering(this);
                }
                return;
            }
        }
        view.limit((int)offset + length).position((int)offset);
        if (null == pending || 0 == pending.position())
        {
            final int n;
            try
            {
                n = channel.write(view);
            }
            catch (final IOException ex)
            {
                failEstablished(Errno.ofStream(ex));
                return;
            }
            reachedKernel(n);
            if (n == length)
            {
                return;
            }
        }
        keep(view);
    }

    /**
     * Write the gathered bodies with one gathering write; keep what the kernel did not take. Called at the end of
     * the duty cycle, and before anything that must follow the data (a full gather list, SHUTDOWN, CLOSE).
     */
    void flushGathered()
    {
        final int count = gatheredCount;
        if (0 == count)
        {
            return;
        }
        gatheredCount = 0;
        if (State.ESTABLISHED != state)
        {
            return;
        }
        final long n;
        try
        {
            n = channel.write(gathered, 0, count);
        }
        catch (final IOException ex)
        {
            failEstablished(Errno.ofStream(ex));
            return;
        }
        reachedKernel((int)n);
        for (int i = 0; i < count; i++)
        {
            if (gathered[i].hasRemaining())
            {
                keep(gathered[i]);
            }
        }
    }

    private void keep(final ByteBuffer rest)
    {
        if (null == pending)
        {
            // Lazily and exactly the window: most connections never need it; it cannot overflow (credit).
            pendingArena = Arena.ofConfined();
            pending = pendingArena.allocate(sendWindow).asByteBuffer();
            ProxyCounters.increment(session.counters.pendingBuffers);
        }
        pending.put(rest);
        updateInterest();
    }

    private void drainPending()
    {
        if (null != pending && pending.position() > 0)
        {
            final int n;
            pending.flip();
            try
            {
                n = channel.write(pending);
            }
            catch (final IOException ex)
            {
                pending.clear();
                failEstablished(Errno.ofStream(ex));
                return;
            }
            pending.compact();
            reachedKernel(n);
        }
        if (null == pending || 0 == pending.position())
        {
            afterDrained();
        }
        updateInterest();
    }

    private void reachedKernel(final int n)
    {
        if (n <= 0)
        {
            return;
        }
        fromApp.consumed(n);
        if (State.ESTABLISHED == state && fromApp.updateDue())
        {
            session.owe(this);
        }
    }

    private void afterDrained()
    {
        if (State.CLOSING == state)
        {
            finishClose();
            return;
        }
        if (appShutdown && !outputShut && State.ESTABLISHED == state)
        {
            shutdownOutput();
        }
    }

    private void shutdownOutput()
    {
        outputShut = true;
        try
        {
            channel.shutdownOutput();
        }
        catch (final IOException ex)
        {
            failEstablished(Errno.ofStream(ex));
        }
    }

    /** CREDIT from the app: it consumed DATA and may take more. */
    void onCredit(final long position, final int window)
    {
        if (State.DEAD == state)
        {
            return;
        }
        toApp.onCredit(position, window);
        updateInterest();
    }

    /** SHUTDOWN from the app: FIN after the pending bytes. */
    void onAppShutdown()
    {
        if (State.DEAD == state || appShutdown)
        {
            return;
        }
        flushGathered();
        appShutdown = true;
        if (State.ESTABLISHED == state && (null == pending || 0 == pending.position()))
        {
            shutdownOutput();
        }
    }

    /** CLOSE from the app: write what is pending, FIN, free; the id is the app's no longer. */
    void onAppClose()
    {
        flushGathered();
        if (State.ESTABLISHED != state)
        {
            // Nothing was ever sent on it (connecting) or it is gone already: just free it.
            session.free(this, State.CONNECTING == state);
            return;
        }
        state = State.CLOSING;
        if (null == pending || 0 == pending.position())
        {
            finishClose();
            return;
        }
        deadlineNs = session.nowNs + LinkSession.CLOSE_LINGER_NS;
        updateInterest();
        session.timed(this);
    }

    private void finishClose()
    {
        gracefulClose();
        session.free(this, false);
    }

    /**
     * FIN to the peer (shutdownOutput) then close, as SIGTERM and CLOSE require: the peer reads end-of-stream, not a
     * reset (unless it still sends and finds the socket closed, which is TCP's own rule).
     */
    void gracefulClose()
    {
        if (!channel.isOpen())
        {
            return;
        }
        try
        {
            if (channel.isConnected() && !outputShut)
            {
                outputShut = true;
                channel.shutdownOutput();
            }
        }
        catch (final IOException ignore)
        {
            // the connection already failed; closing is all that is left
        }
        closeChannel(false);
    }

    /**
     * The proxy is stopping (SIGTERM): a FIN only for a stream whose every byte that reached the proxy reached the
     * kernel too. Whatever is still gathered or pending gets one last non-blocking write; if the kernel does not take
     * all of it, the peer gets an RST (the stream was cut, and a FIN would tell it the stream was complete). The app
     * is told ECONNABORTED either way, by the caller.
     *
     * @return true when the connection ended with a FIN (or was not connected), false when with an RST.
     */
    boolean closeAtStop()
    {
        boolean complete = true;
        if (channel.isOpen() && channel.isConnected() && (State.ESTABLISHED == state || State.CLOSING == state))
        {
            try
            {
                if (gatheredCount > 0)
                {
                    reachedKernel((int)channel.write(gathered, 0, gatheredCount));
                    for (int i = 0; i < gatheredCount; i++)
                    {
                        complete &= !gathered[i].hasRemaining();
                    }
                }
                if (complete && null != pending && pending.position() > 0)
                {
                    pending.flip();
                    reachedKernel(channel.write(pending));
                    complete = !pending.hasRemaining();
                    pending.compact();
                }
            }
            catch (final IOException ex)
            {
                complete = false;
            }
        }
        gatheredCount = 0;
        if (complete)
        {
            gracefulClose();
        }
        else
        {
            ProxyCounters.increment(session.counters.stopResets);
            closeChannel(true);
        }
        releasePending();
        freed = true;
        return complete;
    }

    /** SET_OPTION: apply, then report the value the kernel has (Linux doubles SO_RCVBUF). */
    int setOption(final int option, final long value, final long[] result)
    {
        if (!channel.isOpen())
        {
            return ENOTCONN;
        }
        try
        {
            switch (option)
            {
                case OPTION_TCP_NODELAY -> result[0] = bool(StandardSocketOptions.TCP_NODELAY, value);
                case OPTION_SO_KEEPALIVE -> result[0] = bool(StandardSocketOptions.SO_KEEPALIVE, value);
                case OPTION_SO_REUSEADDR -> result[0] = bool(StandardSocketOptions.SO_REUSEADDR, value);
                case OPTION_SO_RCVBUF -> result[0] = size(StandardSocketOptions.SO_RCVBUF, value);
                case OPTION_SO_SNDBUF -> result[0] = size(StandardSocketOptions.SO_SNDBUF, value);
                default ->
                {
                    return EINVAL;
                }
            }
            return 0;
        }
        catch (final IllegalArgumentException ex)
        {
            return EINVAL;
        }
        catch (final IOException ex)
        {
            return Errno.of(ex, EINVAL);
        }
    }

    private long bool(final SocketOption<Boolean> option, final long value) throws IOException
    {
        if (0 != value && 1 != value)
        {
            throw new IllegalArgumentException("boolean option value " + value);
        }
        channel.setOption(option, 1 == value);
        return channel.getOption(option) ? 1 : 0;
    }

    private long size(final SocketOption<Integer> option, final long value) throws IOException
    {
        if (value <= 0 || value > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("buffer size " + value);
        }
        channel.setOption(option, (int)value);
        return channel.getOption(option);
    }

    // ---- failures ----

    /** The app broke the socket protocol (DATA past its credit, or after its SHUTDOWN): RST and RESET EPROTO. */
    private void protocolViolation()
    {
        ProxyCounters.increment(session.counters.errorsEproto);
        closeChannel(true);
        owedReset(EPROTO);
    }

    private void failEstablished(final int errno)
    {
        closeChannel(true);
        if (State.CLOSING == state)
        {
            // The app already let go of the id: nobody to tell.
            session.free(this, false);
            return;
        }
        owedReset(errno);
    }

    private void owedReset(final int errno)
    {
        state = State.DEAD;
        // A RESET ends the id; a connect result not yet sent would only contradict it.
        connectResultOwed = false;
        resetOwed = errno;
        releasePending();
        session.owe(this);
    }

    @Override
    void abort()
    {
        closeChannel(true);
        releasePending();
    }

    /** Release the kernel socket (closing it if still open, without RST) and the pending buffer. */
    void release()
    {
        closeChannel(false);
        releasePending();
    }

    private void closeChannel(final boolean reset)
    {
        key.cancel();
        if (!channel.isOpen())
        {
            return;
        }
        if (reset && channel.isConnected())
        {
            try
            {
                // SO_LINGER 0: close sends an RST, so the peer learns the data stream was cut, not finished.
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                ProxyCounters.increment(session.counters.tcpAborts);
            }
            catch (final IOException ignore)
            {
                // already broken; close anyway
            }
        }
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing more can be done with it
        }
    }

    void releasePending()
    {
        releaseOffload();
        gatheredCount = 0;
        if (null != pendingArena)
        {
            pendingArena.close();
            pendingArena = null;
            pending = null;
            ProxyCounters.add(session.counters.pendingBuffers, -1);
        }
    }

    private void updateInterest()
    {
        if (!key.isValid())
        {
            return;
        }
        int ops = 0;
        if (State.CONNECTING == state)
        {
            ops = connectResultOwed ? 0 : SelectionKey.OP_CONNECT;
        }
        else if (State.ESTABLISHED == state || State.CLOSING == state)
        {
            if (State.ESTABLISHED == state && !peerEof && toApp.available() > 0 && (null == ulp || ulp.canRead()))
            {
                ops |= SelectionKey.OP_READ;
            }
            if (null != pending && pending.position() > 0)
            {
                ops |= SelectionKey.OP_WRITE;
            }
        }
        if (ops != interest)
        {
            interest = ops;
            key.interestOps(ops);
        }
    }

    // ---- messages to the app ----

    /**
     * Send what is owed, in protocol order, as far as the link takes it.
     *
     * @return true when nothing is owed any more (or the connection was freed).
     */
    boolean flush()
    {
        if (freed)
        {
            return true;
        }
        if (connectResultOwed)
        {
            if (0 == connectErrno)
            {
                if (!session.sendConnectResult(id, 0, sendWindow, localAddress(), remoteAddress()))
                {
                    return false;
                }
                connectResultOwed = false;
                state = State.ESTABLISHED;
                grantedToApp = sendWindow;
                if (appShutdown)
                {
                    shutdownOutput();
                }
                updateInterest();
            }
            else
            {
                if (!session.sendConnectResult(id, connectErrno, 0, null, requestedRemote))
                {
                    return false;
                }
                connectResultOwed = false;
                session.free(this, false);
                return true;
            }
        }
        if (State.ESTABLISHED == state && fromApp.updateDue())
        {
            final long position = fromApp.consumedPosition();
            if (!session.sendCredit(id, position, sendWindow))
            {
                return false;
            }
            fromApp.advertise();
            grantedToApp = position + sendWindow;
        }
        if (null != ulp && State.ESTABLISHED == state)
        {
            // What the offload still holds goes before a SHUTDOWN (the peer's bytes before its FIN).
            final int result = ulp.drain();
            if (NvmeQueueOffload.BLOCKED == result)
            {
                return false;
            }
            if (NvmeQueueOffload.FAILED == result)
            {
                nvmeFatal(ulp.failure(), ulp.failureIsHeaderDigest());
            }
            else
            {
                updateInterest();
            }
        }
        if (shutdownOwed)
        {
            if (!session.sendEmpty(TYPE_SOCKET_SHUTDOWN, id))
            {
                return false;
            }
            shutdownOwed = false;
        }
        if (null != errorOwed && 0 != resetOwed)
        {
            if (!session.sendNvmeError(id, errorOwed))
            {
                return false;
            }
            errorOwed = null;
        }
        if (0 != resetOwed)
        {
            if (!session.sendReset(id, resetOwed))
            {
                return false;
            }
            resetOwed = 0;
            session.free(this, false);
        }
        return true;
    }
}
