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
import io.xts.proxy.config.ProxyConfig;
import io.xts.proxy.nvme.NvmeOffloadControl;
import io.xts.proxy.nvme.OffloadPort;
import io.xts.proxy.nvme.OffloadSocket;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.function.Consumer;

import static io.xts.protocol.SocketMessages.CONNECT_REMOTE_OFFSET;
import static io.xts.protocol.SocketMessages.EACCES;
import static io.xts.protocol.SocketMessages.EBADF;
import static io.xts.protocol.SocketMessages.EBADMSG;
import static io.xts.protocol.SocketMessages.ECONNABORTED;
import static io.xts.protocol.SocketMessages.EEXIST;
import static io.xts.protocol.SocketMessages.EINVAL;
import static io.xts.protocol.SocketMessages.EMFILE;
import static io.xts.protocol.SocketMessages.ENOBUFS;
import static io.xts.protocol.SocketMessages.EPROTO;
import static io.xts.protocol.SocketMessages.FLAG_TCP_NODELAY;
import static io.xts.protocol.SocketMessages.LISTEN_LOCAL_OFFSET;
import static io.xts.protocol.SocketMessages.OPTION_SO_RCVBUF;
import static io.xts.protocol.SocketMessages.OPTION_SO_REUSEADDR;
import static io.xts.protocol.SocketMessages.PROXY_ALLOCATED_ID;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_LINK_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_PLACE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_SETUP;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_TEARDOWN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_PDU_HEADER;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_RESPONSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_PUSH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_RESULT;
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
 * The proxy's side of one XTS link: the socket table of that link (ids are scoped to it, so a frame of another link
 * can never name these sockets), the handling of every socket message the app host sends (docs/PROTOCOL.md, "Socket
 * operations"), the per-link limits and allow-lists, and the messages owed back. When the link goes down or the peer
 * restarts (a new epoch), every socket of the link is aborted with an RST (the app is gone and data may be lost; an
 * RST says so honestly rather than a FIN that would pass for a complete stream) and its state freed.
 * <p>
 * Replies are claimed on the link before anything is done, so a message the link cannot answer now is refused
 * ({@code onMessage} returns false, the link re-delivers it) with no side effect to repeat. Messages a socket owes
 * later (connect results, credit, SHUTDOWN, RESET) are flags on the socket, flushed by {@link #doSocketWork} as the
 * link has room.
 * <p>
 * The NVMe/TCP offload messages (ULP_PUSH, DDP_SETUP, DDP_TEARDOWN, RESYNC_RESPONSE) are looked up here and handled
 * by the link's {@link NvmeOffloadControl}, which sees the session only as an {@link OffloadPort} and a connection only
 * as an {@link OffloadSocket}.
 * <p>
 * Messages to the app go through an {@link AppPort}: the link itself in the one-thread mode ({@link LinkPort}), the
 * {@code toLink} ring in the two-thread mode ({@link RingPort}). Messages from the app arrive by {@link #onMessage}
 * with the memory they are in (the link's receive frames, or the {@code toTcp} ring): bodies are read from that
 * memory, and DATA is written to TCP from it through one {@link ByteBuffer} view per memory region, made once.
 * Single-threaded: everything runs on the thread that owns the selector (the only agent in the one-thread mode, the
 * TCP agent in the two-thread mode).
 */
public final class LinkSession implements LinkListener
{
    /** How long a socket the app closed may take to hand its pending bytes to a peer that stopped reading. */
    static final long CLOSE_LINGER_NS = 30_000_000_000L;
    /** Connect and linger deadlines are checked this often, not every duty cycle. */
    private static final long TIMER_PERIOD_NS = 1_000_000L;
    /** Connects started per duty cycle at most: each is a socket(2) and a connect(2), tens of microseconds. */
    static final int CONNECTS_PER_CYCLE = 64;
    /** Ids the proxy reset on its own, remembered so that the app's messages already in flight for them are dropped
     * quietly instead of each drawing an EBADF; the oldest is forgotten first. */
    private static final int TOMBSTONES = 256;

    final ProxyConfig config;
    final ProxyCounters counters;
    /** Socket flags every TCP socket of this session gets whatever the app asked (latency mode: TCP_NODELAY). */
    private int forcedFlags;
    final Selector selector;
    private final ProxyEvents events;
    private final Consumer<SelectionKey> onReady = this::onReady;
    /** Where messages to the app are claimed. */
    AppPort port;
    /** Whether DATA from the app is gathered per connection and written at the end of each duty cycle. */
    boolean gatherWrites;
    /** Whether reads from TCP go straight into several frames at once (the link's claimBulk). */
    boolean bulkReads;
    /** The app's NVMe/TCP offload messages, and the offloaded queues the link holds. */
    private final NvmeOffloadControl nvme;
    /** Repeat limiting of per-socket error events: at most one a second, the rest counted. */
    private long lastLimitedEventNs = Long.MIN_VALUE;
    private long suppressedEvents;
    private final ArrayList<TcpConnection> gatheringConnections = new ArrayList<>(256);
    /** A bulk read's reservation: where each frame's body is, its room, and a view for the scattering read. */
    final long[] bulkOffsets = new long[XtsLink.MAX_BULK];
    final int[] bulkLengths = new int[XtsLink.MAX_BULK];
    final ByteBuffer[] bulkViews = new ByteBuffer[XtsLink.MAX_BULK];
    /** The memory claims point into ({@code port.memory()}). */
    MemorySegment memory;
    /** One view of the whole claim memory, positioned per read: no buffer is made per message. */
    ByteBuffer view;
    /** The memory of the message being handled, and its view (positioned per write to TCP). */
    private MemorySegment rxMemory;
    ByteBuffer rxView;
    /** Views made so far, one per memory region messages arrived in (a link's frames, a ring). */
    private final MemorySegment[] regions = new MemorySegment[4];
    private final ByteBuffer[] regionViews = new ByteBuffer[4];
    private int regionCount;
    long nowNs;
    private int connectsThisCycle;

    private final Int2ObjectHashMap<ProxySocket> table = new Int2ObjectHashMap<>(64, 0.65f);
    private final ArrayList<TcpConnection> owing = new ArrayList<>();
    private final ArrayList<TcpConnection> timed = new ArrayList<>();
    private final IntHashSet tombstones = new IntHashSet(TOMBSTONES * 2);
    private final int[] tombstoneRing = new int[TOMBSTONES];
    private int tombstoneNext;
    private final IntArrayList goodbyes = new IntArrayList();
    /** Ids the app closed lately (the oldest forgotten first): a CREDIT for one of them is harmless, so it is
     * dropped and counted ({@code late-credits}) rather than answered with EBADF. */
    private final IntHashSet appClosed = new IntHashSet(TOMBSTONES * 2);
    private final int[] appClosedRing = new int[TOMBSTONES];
    private int appClosedNext;
    /** Sockets an internal error ended whose ERROR and RESET ECONNABORTED the app is still owed (oldest first): the
     * ids, the offending message types (0: none, a readiness callback failed) and the ERROR texts naming the cause. */
    private final IntArrayList failedIds = new IntArrayList();
    private final IntArrayList failedTypes = new IntArrayList();
    private final ArrayList<String> failedTexts = new ArrayList<>();
    /** Whether the ERROR of the oldest failed socket left already (its RESET is next). */
    private boolean failedErrorSent;
    /** Tests only: thrown by the next dispatch of a message of {@link #faultType}, to exercise the internal-error
     * path that no correct input reaches. */
    private volatile RuntimeException fault;
    private volatile int faultType;
    private int goodbyeErrno;
    private int connections;
    private int listeners;
    private long bytesInFlight;
    private int acceptedSequence;
    private long lastTimerScanNs;
    private boolean up;

    private final ConnectFlyweight connect = new ConnectFlyweight();
    private final ListenFlyweight listen = new ListenFlyweight();
    private final EstablishedFlyweight established = new EstablishedFlyweight();
    private final ListenResultFlyweight listenResult = new ListenResultFlyweight();
    private final StreamCreditFlyweight credit = new StreamCreditFlyweight();
    private final SocketResetFlyweight reset = new SocketResetFlyweight();
    private final SocketErrorFlyweight error = new SocketErrorFlyweight();
    private final SetOptionFlyweight setOption = new SetOptionFlyweight();
    private final OptionResultFlyweight optionResult = new OptionResultFlyweight();
    private final long[] optionValue = new long[1];

    /**
     * @param config   allow-lists and limits.
     * @param counters where events are counted.
     * @param selector the agent's selector, where this link's kernel sockets are registered.
     * @param events   where link events are reported.
     */
    public LinkSession(
        final ProxyConfig config, final ProxyCounters counters, final Selector selector, final ProxyEvents events)
    {
        this.config = config;
        this.counters = counters;
        this.selector = selector;
        this.events = events;
        this.nvme = new NvmeOffloadControl(new SessionOffloadPort(), config.nvmeOffload(), events, this::sendError);
    }

    /**
     * Attach the port messages to the app go through (the link needs the session as its listener, so the port is
     * made in between).
     *
     * @param port the link, or the ring toward the link agent.
     */
    void attach(final AppPort port)
    {
        this.port = port;
        this.memory = port.memory();
        this.view = viewOf(memory);
        // One-thread mode: bodies delivered in a duty cycle stay valid until its end (the link recycles their frames
        // after onDeliveryBatchEnd), so a socket's DATA can be written with one gathering write. In the two-thread
        // mode they live in ring records released as they are read, so each is written at once.
        this.gatherWrites = port instanceof LinkPort;
        this.bulkReads = port instanceof LinkPort;
        this.nvme.supported(port instanceof LinkPort);
        for (int i = 0; i < bulkViews.length; i++)
        {
            bulkViews[i] = view.duplicate();
        }
    }

    /**
     * A connection holds DATA to write at the end of the duty cycle.
     *
     * @param c the connection.
     */
    void gathering(final TcpConnection c)
    {
        gatheringConnections.add(c);
    }

    @Override
    public void onDeliveryBatchEnd()
    {
        final int n = gatheringConnections.size();
        for (int i = 0; i < n; i++)
        {
            gatheringConnections.get(i).flushGathered();
        }
        gatheringConnections.clear();
    }

    /**
     * @return the view of a memory region, made the first time the region is seen (a handful over the proxy's
     *         life: the link's memory, a ring), so no view is made per message.
     */
    private ByteBuffer viewOf(final MemorySegment region)
    {
        for (int i = 0; i < regionCount; i++)
        {
            final MemorySegment r = regions[i];
            if (r == region || (r.address() == region.address() && r.byteSize() == region.byteSize()))
            {
                return regionViews[i];
            }
        }
        if (region.byteSize() > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("memory of " + region.byteSize() +
                " bytes is larger than one ByteBuffer view can address (2 GiB)");
        }
        // A view without the region's memory session: the JDK acquires the session of a segment-backed buffer in
        // every scattering or gathering call, allocating each time. The region outlives every use here (the link
        // and the rings are closed after the agents stop).
        final ByteBuffer regionView = SessionFreeView.of(region);
        final int slot = regionCount < regions.length ? regionCount++ : regions.length - 1;
        regions[slot] = region;
        regionViews[slot] = regionView;
        return regionView;
    }

    /** @return the port messages to the app go through. */
    AppPort port()
    {
        return port;
    }

    /** @return connections the link holds (connecting, open or closing). */
    public int connections()
    {
        return connections;
    }

    /** @return listeners the link holds. */
    public int listeners()
    {
        return listeners;
    }

    /** @return the sum of the send windows granted to the link's live sockets. */
    public long bytesInFlight()
    {
        return bytesInFlight;
    }

    /**
     * Start a duty cycle: the time for deadlines set while handling the app's messages, and a fresh budget of
     * connects.
     *
     * @param now the time.
     */
    public void beginCycle(final long now)
    {
        nowNs = now;
        connectsThisCycle = 0;
    }

    /**
     * Poll every kernel socket once ({@code selectNow}) and hand each ready one to its owner (the key's attachment).
     *
     * @return sockets that were ready.
     * @throws IOException when the selector fails.
     */
    public int poll() throws IOException
    {
        return selector.selectNow(onReady);
    }

    private void onReady(final SelectionKey key)
    {
        if (!key.isValid())
        {
            // Closed by an earlier callback of this same select.
            return;
        }
        final ProxySocket socket = (ProxySocket)key.attachment();
        try
        {
            socket.onReady(key);
        }
        catch (final RuntimeException ex)
        {
            // One socket's failure must not stop the others: end it with an error on both sides, say so.
            events.event("internal-error id=" + Integer.toUnsignedString(socket.id) + " error=" + ex);
            failInternal(socket, 0, ex);
        }
    }

    /**
     * Send what sockets owe the app, as far as the link has room, and check connect and linger deadlines.
     *
     * @param now the time.
     * @return work done.
     */
    public int doSocketWork(final long now)
    {
        nowNs = now;
        int work = failedIds.isEmpty() ? 0 : sendInternalFailures();
        for (int i = 0; i < owing.size(); )
        {
            final TcpConnection c = owing.get(i);
            if (c.flush())
            {
                c.owing = false;
                removeAt(owing, i);
                work++;
            }
            else
            {
                i++;
            }
        }
        if (now - lastTimerScanNs >= TIMER_PERIOD_NS)
        {
            lastTimerScanNs = now;
            for (int i = 0; i < timed.size(); )
            {
                final TcpConnection c = timed.get(i);
                if (c.freed || c.checkDeadline(now))
                {
                    c.timed = false;
                    removeAt(timed, i);
                    work++;
                }
                else
                {
                    i++;
                }
            }
        }
        return work;
    }

    private static void removeAt(final ArrayList<TcpConnection> list, final int i)
    {
        final int last = list.size() - 1;
        list.set(i, list.get(last));
        list.remove(last);
    }

    void owe(final TcpConnection c)
    {
        if (!c.owing)
        {
            c.owing = true;
            owing.add(c);
        }
    }

    void timed(final TcpConnection c)
    {
        if (!c.timed)
        {
            c.timed = true;
            timed.add(c);
        }
    }

    void event(final String text)
    {
        events.event(text);
    }

    /**
     * Report a per-socket error, but at most one a second: a flood of broken streams must not flood the log. What was
     * held back is reported with the next one as a count.
     */
    void limitedEvent(final String text)
    {
        final long now = System.nanoTime();
        if (Long.MIN_VALUE != lastLimitedEventNs && now - lastLimitedEventNs < 1_000_000_000L)
        {
            suppressedEvents++;
            return;
        }
        if (suppressedEvents > 0)
        {
            events.event("error-repeated times=" + suppressedEvents + " kind=nvme-drop");
            suppressedEvents = 0;
        }
        lastLimitedEventNs = now;
        events.event(text);
    }

    /** @return the memory of the message being handled (the link's receive frames, or the toTcp ring). */
    MemorySegment rxMemory()
    {
        return rxMemory;
    }

    /** An offloaded socket ended (its offload released). */
    void offloadEnded()
    {
        nvme.offloadEnded();
    }

    /** @return offloaded sockets the link holds. */
    int offloadedQueues()
    {
        return nvme.queues();
    }

    // ---- the link's life ----

    @Override
    public void onLinkUp(final int peerEpoch, final int version)
    {
        // A new link (pair of epochs) starts with an empty table; anything left is of an older one.
        abortAll();
        up = true;
        counters.linksUp.setRelease(1);
        events.event("link-up peer_epoch=" + Integer.toHexString(peerEpoch) + " version=" + version);
    }

    @Override
    public void onLinkDown(final String reason)
    {
        final int aborted = abortAll();
        up = false;
        counters.linksUp.setRelease(0);
        events.event("link-down sockets_aborted=" + aborted + " reason=" + reason);
    }

    /** @return whether the link is up as far as this session heard. */
    public boolean isUp()
    {
        return up;
    }

    private int abortAll()
    {
        int n = 0;
        for (final ProxySocket s : table.values())
        {
            s.abort();
            if (s instanceof TcpConnection c)
            {
                c.freed = true;
            }
            n++;
        }
        ProxyCounters.add(counters.linkDownAborts, n);
        clearTable();
        return n;
    }

    private void clearTable()
    {
        table.clear();
        owing.clear();
        timed.clear();
        tombstones.clear();
        appClosed.clear();
        failedIds.clear();
        failedTypes.clear();
        failedTexts.clear();
        failedErrorSent = false;
        connections = 0;
        listeners = 0;
        bytesInFlight = 0;
        acceptedSequence = 0;
        nvme.clear();
        counters.socketsOpen.setRelease(0);
        counters.listenersOpen.setRelease(0);
        counters.bytesInFlight.setRelease(0);
    }

    /**
     * The proxy is stopping (SIGTERM): close every TCP connection with FIN (shutdownOutput, then close) when every
     * byte the app sent that reached the proxy is in the kernel, else with an RST (never a FIN after a truncated
     * stream), close every listener, and queue a RESET with {@code errno} for each socket the app knows, sent by
     * {@link #flushGoodbyes()}.
     *
     * @param errno the errno the app hosts are told (ECONNABORTED).
     * @return the sockets closed.
     */
    public int closeAll(final int errno)
    {
        final int n = table.size();
        goodbyes.clear();
        for (final ProxySocket s : table.values())
        {
            if (s.visibleToApp())
            {
                goodbyes.addInt(s.id);
            }
            if (s instanceof TcpConnection c)
            {
                if (!c.closeAtStop())
                {
                    events.event("stop-reset id=" + Integer.toUnsignedString(s.id) +
                        " reason=bytes from the app the kernel did not take: RST, not a FIN after a cut stream");
                }
            }
            else
            {
                s.abort();
            }
        }
        goodbyeErrno = errno;
        clearTable();
        return n;
    }

    /**
     * @return RESETs still to send after {@link #closeAll}: 0 when every app socket was told.
     */
    public int flushGoodbyes()
    {
        while (!goodbyes.isEmpty() && port.isUp())
        {
            final int id = goodbyes.getInt(goodbyes.size() - 1);
            if (!sendReset(id, goodbyeErrno))
            {
                break;
            }
            goodbyes.removeAt(goodbyes.size() - 1);
        }
        return port.isUp() ? goodbyes.size() : 0;
    }

    // ---- messages from the app ----

    @Override
    public boolean onMessage(
        final int type, final int id, final MemorySegment memory, final long offset, final int length)
    {
        if (memory != rxMemory)
        {
            rxMemory = memory;
            rxView = viewOf(memory);
        }
        try
        {
            return dispatch(type, id, offset, length);
        }
        catch (final RuntimeException ex)
        {
            // A bug must not take the link down with it: drop the socket it concerns, say so, keep serving.
            events.event("internal-error type=0x" + Integer.toHexString(type) + " id=" +
                Integer.toUnsignedString(id) + " error=" + ex);
            final ProxySocket s = table.get(id);
            if (null != s)
            {
                failInternal(s, type, ex);
            }
            return true;
        }
    }

    private boolean dispatch(final int type, final int id, final long offset, final int length)
    {
        if (null != fault && type == faultType)
        {
            final RuntimeException ex = fault;
            fault = null;
            throw ex;
        }
        return switch (type)
        {
            case TYPE_SOCKET_DATA -> onData(id, offset, length);
            case TYPE_SOCKET_CREDIT -> onCredit(id, offset, length);
            case TYPE_SOCKET_CONNECT -> onConnect(id, offset, length);
            case TYPE_SOCKET_LISTEN -> onListen(id, offset, length);
            case TYPE_SOCKET_SHUTDOWN -> onShutdown(id);
            case TYPE_SOCKET_CLOSE -> onClose(id);
            case TYPE_SOCKET_RESET -> onReset(id);
            case TYPE_SOCKET_SET_OPTION -> onSetOption(id, offset, length);
            case TYPE_LINK_ERROR ->
            {
                // The app could not handle something we sent; nothing to answer, but an operator should know.
                events.event("app-link-error id=" + Integer.toUnsignedString(id) + " length=" + length);
                yield true;
            }
            case TYPE_NVME_ULP_PUSH, TYPE_NVME_DDP_SETUP, TYPE_NVME_DDP_TEARDOWN, TYPE_NVME_RESYNC_RESPONSE ->
                onNvmeMessage(type, id, offset, length);
            case TYPE_SOCKET_CONNECT_RESULT, TYPE_SOCKET_LISTEN_RESULT, TYPE_SOCKET_ACCEPTED, TYPE_SOCKET_ERROR,
                 TYPE_SOCKET_OPTION_RESULT, TYPE_NVME_ULP_RESULT, TYPE_NVME_DDP_PLACE, TYPE_NVME_PDU_HEADER,
                 TYPE_NVME_RESYNC_REQUEST -> sendError(id, EINVAL, type, "message type 0x" +
                Integer.toHexString(type) + " goes from the proxy to the app, never to the proxy");
            default -> sendError(id, EINVAL, type, "the proxy does not handle message type 0x" +
                Integer.toHexString(type));
        };
    }

    /**
     * @return the socket the app may name by this id, or null.
     */
    private ProxySocket visible(final int id)
    {
        final ProxySocket s = table.get(id);
        return null != s && s.visibleToApp() ? s : null;
    }

    /**
     * Answer a message naming an id the link does not have: quietly dropped when the proxy itself ended that id a
     * moment ago (the app's messages were already on their way), else ERROR EBADF.
     */
    private boolean unknownId(final int id, final int type)
    {
        if (tombstones.contains(id))
        {
            return true;
        }
        return sendError(id, EBADF, type, "no socket " + Integer.toUnsignedString(id) + " on this link");
    }

    private boolean onData(final int id, final long offset, final int length)
    {
        final ProxySocket s = visible(id);
        if (!(s instanceof TcpConnection c))
        {
            return null == s ? unknownId(id, TYPE_SOCKET_DATA) :
                sendError(id, EINVAL, TYPE_SOCKET_DATA, "DATA on listener " + Integer.toUnsignedString(id));
        }
        if (length <= 0)
        {
            return sendError(id, EINVAL, TYPE_SOCKET_DATA, "empty DATA");
        }
        c.onData(offset, length);
        return true;
    }

    private boolean onCredit(final int id, final long offset, final int length)
    {
        final ProxySocket s = visible(id);
        if (null == s && appClosed.contains(id))
        {
            // The app's CREDIT behind its own CLOSE: nothing to act on and nothing lost (a credit carries no data).
            ProxyCounters.increment(counters.lateCredits);
            return true;
        }
        if (!(s instanceof TcpConnection c))
        {
            return null == s ? unknownId(id, TYPE_SOCKET_CREDIT) :
                sendError(id, EINVAL, TYPE_SOCKET_CREDIT, "CREDIT on listener " + Integer.toUnsignedString(id));
        }
        credit.wrap(rxMemory, offset, length);
        if (!credit.isComplete())
        {
            return sendError(id, EINVAL, TYPE_SOCKET_CREDIT, "CREDIT body of " + length + " bytes, expected " +
                StreamCreditFlyweight.LENGTH);
        }
        final long position = credit.position();
        final long window = credit.window();
        if (position < 0 || window > Integer.MAX_VALUE)
        {
            return sendError(id, EINVAL, TYPE_SOCKET_CREDIT, "CREDIT position " + Long.toUnsignedString(position) +
                " or window " + window + " out of range");
        }
        c.onCredit(position, (int)window);
        return true;
    }

    private boolean onConnect(final int id, final long offset, final int length)
    {
        if (connectsThisCycle >= CONNECTS_PER_CYCLE)
        {
            // A burst of thousands of CONNECTs must not keep this thread in connect(2) past the link's heartbeat:
            // refusing the message makes the link hold its frame (and grant less credit) until the next cycle.
            return false;
        }
        connectsThisCycle++;
        connect.wrap(rxMemory, offset, length);
        int errno = 0;
        String why = null;
        if (!connect.isComplete())
        {
            errno = EINVAL;
            why = "CONNECT body of " + length + " bytes, expected " + ConnectFlyweight.LENGTH;
        }
        else if (null != (why = connect.badAddress(CONNECT_REMOTE_OFFSET)))
        {
            errno = EINVAL;
        }
        else if (id <= 0)
        {
            errno = EINVAL;
            why = "socket id " + Integer.toUnsignedString(id) + " is not an app id (1..0x7FFFFFFF)";
        }
        else if (connect.receiveWindow() <= 0 || connect.receiveWindow() > Integer.MAX_VALUE)
        {
            errno = EINVAL;
            why = "receive window " + connect.receiveWindow() + " outside 1..2^31-1";
        }
        if (0 != errno)
        {
            return refuseConnect(id, errno, null, counters.errorsEinval, why);
        }
        if (table.containsKey(id))
        {
            return refuseConnect(id, EEXIST, null, null, null);
        }
        final InetSocketAddress remote = connect.remote();
        if (!config.allow().allowsConnect(remote))
        {
            return refuseConnect(id, EACCES, remote, counters.refusedAllowList, null);
        }
        final int limit = connectionLimit();
        if (0 != limit)
        {
            return refuseConnect(id, limit, remote, EMFILE == limit ? counters.refusedSocketLimit :
                counters.refusedBytesInFlight, null);
        }
        final long timeoutMs = 0 == connect.timeoutMillis() ? config.limits().connectTimeoutMs() :
            connect.timeoutMillis();
        final int sendWindow = config.limits().sendWindow();
        final TcpConnection c;
        try
        {
            c = TcpConnection.connect(this, id, remote, connect.flags() | forcedFlags,
                clampInt(connect.receiveBuffer()), clampInt(connect.sendBuffer()), (int)connect.receiveWindow(),
                sendWindow, nowNs + timeoutMs * 1_000_000L);
        }
        catch (final IOException | RuntimeException ex)
        {
            // The socket could not even be made (no such family, out of descriptors): refuse now.
            return refuseConnect(id, Errno.of(ex, EINVAL), remote, counters.connectsFailed, null);
        }
        add(c);
        return true;
    }

    private static int clampInt(final long value)
    {
        return (int)Math.min(value, Integer.MAX_VALUE);
    }

    private boolean refuseConnect(
        final int id, final int errno, final InetSocketAddress remote, final AtomicCounter reason, final String why)
    {
        if (!sendConnectResult(id, errno, 0, null, remote))
        {
            return false;
        }
        if (null != reason)
        {
            ProxyCounters.increment(reason);
        }
        if (null != why)
        {
            events.event("connect-refused id=" + Integer.toUnsignedString(id) + " errno=" + errno + " why=" + why);
        }
        return true;
    }

    /**
     * @return 0 when the link may have one more connection, else the errno refusing it.
     */
    private int connectionLimit()
    {
        if (connections >= config.limits().socketsPerLink())
        {
            return EMFILE;
        }
        if (bytesInFlight + config.limits().sendWindow() > config.limits().bytesInFlightPerLink())
        {
            return ENOBUFS;
        }
        return 0;
    }

    private void add(final TcpConnection c)
    {
        table.put(c.id, c);
        connections++;
        bytesInFlight += c.sendWindow();
        counters.socketsOpen.setRelease(connections);
        counters.bytesInFlight.setRelease(bytesInFlight);
    }

    private boolean onListen(final int id, final long offset, final int length)
    {
        listen.wrap(rxMemory, offset, length);
        int errno = 0;
        String why = null;
        if (!listen.isComplete())
        {
            errno = EINVAL;
            why = "LISTEN body of " + length + " bytes, expected " + ListenFlyweight.LENGTH;
        }
        else if (null != (why = listen.badAddress(LISTEN_LOCAL_OFFSET)))
        {
            errno = EINVAL;
        }
        else if (id <= 0)
        {
            errno = EINVAL;
            why = "socket id " + Integer.toUnsignedString(id) + " is not an app id (1..0x7FFFFFFF)";
        }
        else if (listen.receiveWindow() <= 0 || listen.receiveWindow() > Integer.MAX_VALUE || listen.backlog() < 0)
        {
            errno = EINVAL;
            why = "receive window " + listen.receiveWindow() + " or backlog " + listen.backlog() + " out of range";
        }
        final long body = port.claim(TYPE_SOCKET_LISTEN_RESULT, id, ListenResultFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        listenResult.wrap(memory, body, ListenResultFlyweight.LENGTH);
        if (0 != errno)
        {
            listenResult.errno(errno).bound(null);
            ProxyCounters.increment(counters.errorsEinval);
            events.event("listen-refused id=" + Integer.toUnsignedString(id) + " errno=" + errno + " why=" + why);
            return true;
        }
        final InetSocketAddress local = listen.local();
        if (table.containsKey(id))
        {
            listenResult.errno(EEXIST).bound(null);
            return true;
        }
        if (!config.allow().allowsListen(local))
        {
            listenResult.errno(EACCES).bound(null);
            ProxyCounters.increment(counters.refusedAllowList);
            return true;
        }
        if (listeners >= config.limits().listenersPerLink())
        {
            listenResult.errno(EMFILE).bound(null);
            ProxyCounters.increment(counters.refusedListenerLimit);
            return true;
        }
        final TcpListener listener;
        try
        {
            listener = TcpListener.listen(this, id, local, listen.backlog(), (int)listen.receiveWindow(),
                listen.flags());
        }
        catch (final IOException | RuntimeException ex)
        {
            listenResult.errno(Errno.of(ex, EINVAL)).bound(null);
            return true;
        }
        listenResult.errno(0).bound(listener.boundAddress());
        table.put(id, listener);
        listeners++;
        counters.listenersOpen.setRelease(listeners);
        return true;
    }

    private boolean onShutdown(final int id)
    {
        final ProxySocket s = visible(id);
        if (!(s instanceof TcpConnection c))
        {
            return null == s ? unknownId(id, TYPE_SOCKET_SHUTDOWN) :
                sendError(id, EINVAL, TYPE_SOCKET_SHUTDOWN, "SHUTDOWN on listener " + Integer.toUnsignedString(id));
        }
        c.onAppShutdown();
        return true;
    }

    private boolean onClose(final int id)
    {
        final ProxySocket s = visible(id);
        if (null == s)
        {
            return unknownId(id, TYPE_SOCKET_CLOSE);
        }
        rememberAppClosed(id);
        if (s instanceof TcpConnection c)
        {
            c.onAppClose();
        }
        else
        {
            free(s, false);
        }
        return true;
    }

    private boolean onReset(final int id)
    {
        final ProxySocket s = visible(id);
        if (null == s)
        {
            return unknownId(id, TYPE_SOCKET_RESET);
        }
        ProxyCounters.increment(counters.resetsReceived);
        free(s, true);
        return true;
    }

    private boolean onSetOption(final int id, final long offset, final int length)
    {
        final ProxySocket s = visible(id);
        if (null == s)
        {
            return unknownId(id, TYPE_SOCKET_SET_OPTION);
        }
        setOption.wrap(rxMemory, offset, length);
        if (!setOption.isComplete())
        {
            return sendError(id, EINVAL, TYPE_SOCKET_SET_OPTION, "SET_OPTION body of " + length +
                " bytes, expected " + SetOptionFlyweight.LENGTH);
        }
        final int option = setOption.option();
        final long value = setOption.value();
        final long body = port.claim(TYPE_SOCKET_OPTION_RESULT, id, OptionResultFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        optionValue[0] = 0;
        final int errno = s instanceof TcpConnection c ? c.setOption(option, value, optionValue) :
            listenerOption(((TcpListener)s), option, value);
        optionResult.wrap(memory, body, OptionResultFlyweight.LENGTH).option(option).errno(errno)
            .value(optionValue[0]);
        return true;
    }

    private int listenerOption(final TcpListener listener, final int option, final long value)
    {
        try
        {
            if (OPTION_SO_REUSEADDR == option && (0 == value || 1 == value))
            {
                listener.channel().setOption(StandardSocketOptions.SO_REUSEADDR, 1 == value);
                optionValue[0] = listener.channel().getOption(StandardSocketOptions.SO_REUSEADDR) ? 1 : 0;
                return 0;
            }
            if (OPTION_SO_RCVBUF == option && value > 0 && value <= Integer.MAX_VALUE)
            {
                listener.channel().setOption(StandardSocketOptions.SO_RCVBUF, (int)value);
                optionValue[0] = listener.channel().getOption(StandardSocketOptions.SO_RCVBUF);
                return 0;
            }
            return EINVAL;
        }
        catch (final IOException ex)
        {
            return Errno.of(ex, EINVAL);
        }
    }

    // ---- NVMe/TCP offload ----

    /**
     * ULP_PUSH, DDP_SETUP, DDP_TEARDOWN, RESYNC_RESPONSE: find the socket, hand the message to the link's NVMe/TCP
     * offload control. A listener carries no NVMe/TCP queue: the control refuses or ignores as each message requires.
     */
    private boolean onNvmeMessage(final int type, final int id, final long offset, final int length)
    {
        final ProxySocket s = visible(id);
        if (null == s)
        {
            return unknownId(id, type);
        }
        final OffloadSocket c = s instanceof TcpConnection tc ? tc : null;
        return switch (type)
        {
            case TYPE_NVME_ULP_PUSH -> nvme.onUlpPush(id, c, rxMemory, offset, length);
            case TYPE_NVME_DDP_SETUP -> nvme.onDdpSetup(id, c, rxMemory, offset, length);
            case TYPE_NVME_DDP_TEARDOWN -> nvme.onDdpTeardown(id, c, rxMemory, offset, length);
            default -> nvme.onResyncResponse(id, c, rxMemory, offset, length);
        };
    }

    /** The session as the NVMe/TCP offload sees it: its port to the app, the claim memory and the counters. */
    private final class SessionOffloadPort implements OffloadPort
    {
        @Override
        public long claim(final int type, final int streamId, final int length)
        {
            return port.claim(type, streamId, length);
        }

        @Override
        public void trimClaim(final int length)
        {
            port.trimClaim(length);
        }

        @Override
        public int claimableInFrame()
        {
            return port.claimableInFrame();
        }

        @Override
        public int maxMessageLength()
        {
            return port.maxMessageLength();
        }

        @Override
        public MemorySegment memory()
        {
            return memory;
        }

        @Override
        public ProxyCounters counters()
        {
            return counters;
        }
    }

    // ---- accepted connections ----

    /** @return the id the next accepted connection gets (taken only when it is admitted). */
    int nextAcceptedId()
    {
        return PROXY_ALLOCATED_ID | acceptedSequence;
    }

    /**
     * Latency mode: every TCP socket this session opens or accepts gets TCP_NODELAY, whether the app asked for it or
     * not, so a small reply never waits in the kernel for an acknowledgement (Nagle). The app may still turn it off
     * later with SET_OPTION. The JDK's channels offer no SO_BUSY_POLL, so the TCP side busy-polls only as far as the
     * agent's busy idle strategy polls the selector.
     *
     * @param on true for latency mode.
     */
    void latency(final boolean on)
    {
        forcedFlags = on ? FLAG_TCP_NODELAY : 0;
    }

    /**
     * A listener accepted a connection into the ACCEPTED message claimed at {@code body}: apply the limits, adopt it
     * and write the message, or refuse it with an RST.
     *
     * @return true when adopted (the message is written), false when refused (the caller withdraws the claim).
     */
    boolean admitAccepted(
        final long body, final int newId, final int listenerId, final SocketChannel accepted, final int flags,
        final int receiveWindow)
    {
        final int limit = connectionLimit();
        if (0 != limit)
        {
            ProxyCounters.increment(EMFILE == limit ? counters.refusedSocketLimit : counters.refusedBytesInFlight);
            abortAccepted(accepted);
            return false;
        }
        final TcpConnection c;
        try
        {
            c = TcpConnection.accepted(this, newId, accepted, flags | forcedFlags, receiveWindow,
                config.limits().sendWindow());
        }
        catch (final IOException | RuntimeException ex)
        {
            abortAccepted(accepted);
            return false;
        }
        established.wrap(memory, body, EstablishedFlyweight.LENGTH).listenerId(listenerId)
            .sendWindow(c.sendWindow()).local(c.localAddress()).remote(c.remoteAddress());
        acceptedSequence = (acceptedSequence + 1) & ~PROXY_ALLOCATED_ID;
        add(c);
        ProxyCounters.increment(counters.accepted);
        return true;
    }

    private void abortAccepted(final SocketChannel accepted)
    {
        try
        {
            accepted.setOption(StandardSocketOptions.SO_LINGER, 0);
            ProxyCounters.increment(counters.tcpAborts);
        }
        catch (final IOException ignore)
        {
            // closing is all that is left
        }
        try
        {
            accepted.close();
        }
        catch (final IOException ignore)
        {
            // nothing more can be done
        }
    }

    /**
     * Tests only: make the next dispatch of a message of this type throw, as a bug in its handler would.
     *
     * @param type the message type.
     * @param ex   what to throw.
     */
    void injectFault(final int type, final RuntimeException ex)
    {
        faultType = type;
        fault = ex;
    }

    /**
     * A failure inside the proxy (a bug) while handling one socket: RST to its TCP peer, and, when the app knows the
     * id, an ERROR ECONNABORTED naming the cause then a RESET ECONNABORTED, so a blocked reader wakes with an
     * exception that says why and later messages for the id are dropped quietly (it is a tombstone), not EBADF.
     */
    private void failInternal(final ProxySocket s, final int type, final RuntimeException ex)
    {
        ProxyCounters.increment(counters.internalErrors);
        final boolean known = s.visibleToApp();
        free(s, true);
        if (known)
        {
            tombstone(s.id);
            failedIds.addInt(s.id);
            failedTypes.addInt(type);
            failedTexts.add("internal error in the proxy: " + ex);
        }
    }

    private int sendInternalFailures()
    {
        int work = 0;
        while (!failedIds.isEmpty())
        {
            final int id = failedIds.getInt(0);
            if (!failedErrorSent)
            {
                if (!sendErrorText(id, ECONNABORTED, failedTypes.getInt(0), failedTexts.get(0)))
                {
                    break;
                }
                failedErrorSent = true;
            }
            if (!sendReset(id, ECONNABORTED))
            {
                break;
            }
            failedErrorSent = false;
            failedIds.removeAt(0);
            failedTypes.removeAt(0);
            failedTexts.remove(0);
            work++;
        }
        return work;
    }

    /**
     * Forget a socket: release its kernel socket (with an RST when {@code reset}) and memory, and its id.
     */
    void free(final ProxySocket s, final boolean reset)
    {
        if (s instanceof TcpConnection c)
        {
            if (c.freed)
            {
                return;
            }
            c.freed = true;
            if (reset)
            {
                c.abort();
            }
            else
            {
                c.release();
            }
            connections--;
            bytesInFlight -= c.sendWindow();
            counters.socketsOpen.setRelease(connections);
            counters.bytesInFlight.setRelease(bytesInFlight);
        }
        else
        {
            ((TcpListener)s).close();
            listeners--;
            counters.listenersOpen.setRelease(listeners);
        }
        if (table.get(s.id) == s)
        {
            table.remove(s.id);
        }
    }

    private void rememberAppClosed(final int id)
    {
        if (appClosed.contains(id))
        {
            return;
        }
        final int old = appClosedRing[appClosedNext];
        if (0 != old)
        {
            appClosed.remove(old);
        }
        appClosedRing[appClosedNext] = id;
        appClosedNext = (appClosedNext + 1) % TOMBSTONES;
        appClosed.add(id);
    }

    private void tombstone(final int id)
    {
        if (tombstones.contains(id))
        {
            return;
        }
        final int old = tombstoneRing[tombstoneNext];
        if (0 != old)
        {
            tombstones.remove(old);
        }
        tombstoneRing[tombstoneNext] = id;
        tombstoneNext = (tombstoneNext + 1) % TOMBSTONES;
        tombstones.add(id);
    }

    // ---- messages to the app (each returns false when the link has no room now) ----

    boolean sendConnectResult(
        final int id, final int errno, final int sendWindow, final InetSocketAddress local,
        final InetSocketAddress remote)
    {
        final long body = port.claim(TYPE_SOCKET_CONNECT_RESULT, id, EstablishedFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        established.wrap(memory, body, EstablishedFlyweight.LENGTH).errno(errno).sendWindow(sendWindow)
            .local(local).remote(remote);
        return true;
    }

    boolean sendCredit(final int id, final long position, final int window)
    {
        final long body = port.claim(TYPE_SOCKET_CREDIT, id, StreamCreditFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        credit.wrap(memory, body, StreamCreditFlyweight.LENGTH).write(position, window);
        return true;
    }

    boolean sendEmpty(final int type, final int id)
    {
        return port.claim(type, id, 0) >= 0;
    }

    boolean sendReset(final int id, final int errno)
    {
        final long body = port.claim(TYPE_SOCKET_RESET, id, SocketResetFlyweight.LENGTH);
        if (body < 0)
        {
            return false;
        }
        reset.wrap(memory, body, SocketResetFlyweight.LENGTH).errno(errno);
        ProxyCounters.increment(counters.resetsSent);
        tombstone(id);
        return true;
    }

    private boolean sendError(final int id, final int errno, final int type, final String text)
    {
        final int length = SocketErrorFlyweight.lengthFor(text);
        final long body = port.claim(TYPE_SOCKET_ERROR, id, length);
        if (body < 0)
        {
            return false;
        }
        error.wrap(memory, body, length).write(errno, type, text);
        switch (errno)
        {
            case EBADF -> ProxyCounters.increment(counters.errorsEbadf);
            case EPROTO -> ProxyCounters.increment(counters.errorsEproto);
            default -> ProxyCounters.increment(counters.errorsEinval);
        }
        return true;
    }

    /**
     * The ERROR before the RESET of a socket ended by a fatal NVMe/TCP stream error: errno EBADMSG, offending type
     * PDU_HEADER, the text naming the field, its value, what was expected and the stream offset.
     */
    boolean sendNvmeError(final int id, final String text)
    {
        return sendErrorText(id, EBADMSG, TYPE_NVME_PDU_HEADER, text);
    }

    private boolean sendErrorText(final int id, final int errno, final int type, final String text)
    {
        final int length = SocketErrorFlyweight.lengthFor(text);
        final long body = port.claim(TYPE_SOCKET_ERROR, id, length);
        if (body < 0)
        {
            return false;
        }
        error.wrap(memory, body, length).write(errno, type, text);
        return true;
    }

    @Override
    public String toString()
    {
        return "LinkSession[connections=" + connections + ", listeners=" + listeners + ", bytesInFlight=" +
            bytesInFlight + ", up=" + up + "]";
    }
}
