package io.xts.proxy;

import io.xts.link.LinkListener;
import io.xts.link.XtsLink;
import io.xts.nvme.NvmeTcp;
import io.xts.protocol.ConnectFlyweight;
import io.xts.protocol.DdpPlaceFlyweight;
import io.xts.protocol.DdpSetupFlyweight;
import io.xts.protocol.DdpTeardownFlyweight;
import io.xts.protocol.PduHeaderMessageFlyweight;
import io.xts.protocol.ResyncFlyweight;
import io.xts.protocol.UlpMessages;
import io.xts.protocol.UlpPushFlyweight;
import io.xts.protocol.UlpResultFlyweight;
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

import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_PLACE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_SETUP;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_TEARDOWN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_PDU_HEADER;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_RESPONSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_PUSH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_ACCEPTED;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CREDIT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_ERROR;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_LISTEN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_LISTEN_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_OPTION_RESULT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SET_OPTION;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SHUTDOWN;

/**
 * The app host's end of the socket protocol, as small as the tests need, on a plain {@link XtsLink}: it sends
 * CONNECT, LISTEN, DATA within the proxy's credit, CREDIT as it consumes (or not, for a slow app), SHUTDOWN, CLOSE,
 * RESET and SET_OPTION, and records everything the proxy sends, checking on every DATA that the proxy never sent
 * past the credit this app granted. For NVMe/TCP offload it sends ULP_PUSH, DDP_SETUP/TEARDOWN and RESYNC_RESPONSE and
 * records ULP_RESULT, PDU_HEADER, DDP_PLACE, DDP_TEARDOWN and RESYNC_REQUEST in order ({@link Socket#ulp}), crediting
 * a PDU's PLEN once its header (and, for C2HData, its last piece) arrived, as the protocol says.
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
        /** The app sent CLOSE or RESET: it sends nothing more for the id. */
        boolean closedByApp;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean peerShutdown;
        boolean dataAfterShutdown;
        int resetErrno = -1;
        int optionErrno = -1;
        long optionValue;
        int creditOverruns;
        /** ULP_RESULT: errno (-1 until it arrives), state and stream offset. */
        int ulpErrno = -1;
        int ulpState = -1;
        long ulpOffset = -1;
        /** Offload messages in arrival order (unless {@link #recordUlp} is off), and counts. */
        final List<Ulp> ulp = new ArrayList<>();
        boolean recordUlp = true;
        long pduHeaders;
        long places;
        long placedBytes;
        long lastPieces;
        long digestErrors;
        /** PLEN of the C2HData whose pieces are arriving (credited at its last piece). */
        long c2hPlen;
        /** Sizes of the DATA messages, in order. */
        final List<Integer> dataSizes = new ArrayList<>();

        Socket(final int id)
        {
            this.id = id;
        }

        long receivedBytes()
        {
            return received.size();
        }
    }

    /** One offload message from the proxy. */
    sealed interface Ulp permits Header, Place, Teardown, ResyncRequest
    {
    }

    /** PDU_HEADER: status and the NVMe/TCP header bytes. */
    record Header(int status, byte[] pdu) implements Ulp
    {
        int type()
        {
            return pdu[0] & 0xFF;
        }

        long plen()
        {
            return (pdu[4] & 0xFFL) | (pdu[5] & 0xFFL) << 8 | (pdu[6] & 0xFFL) << 16 | (pdu[7] & 0xFFL) << 24;
        }

        int cccid()
        {
            return (pdu[8] & 0xFF) | (pdu[9] & 0xFF) << 8;
        }
    }

    /** DDP_PLACE. */
    record Place(int cid, int flags, long offset, byte[] bytes) implements Ulp
    {
        boolean last()
        {
            return 0 != (flags & UlpMessages.PLACE_LAST);
        }
    }

    /** DDP_TEARDOWN from the proxy. */
    record Teardown(int cid, int reason) implements Ulp
    {
    }

    /** RESYNC_REQUEST. */
    record ResyncRequest(long offset) implements Ulp
    {
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
        final boolean sent = link.offer(type, id, scratch, 0, 0);
        if (sent && (TYPE_SOCKET_CLOSE == type || TYPE_SOCKET_RESET == type))
        {
            // As the real client: nothing more is sent for an id after its CLOSE or RESET (a credit still due from
            // the last DATA used to follow the CLOSE here, and drew an EBADF).
            socket(id).closedByApp = true;
        }
        return sent;
    }

    boolean setOption(final int id, final int option, final long value)
    {
        new SetOptionFlyweight().wrap(scratch, 0, SetOptionFlyweight.LENGTH).option(option).value(value);
        return link.offer(TYPE_SOCKET_SET_OPTION, id, scratch, 0, SetOptionFlyweight.LENGTH);
    }

    boolean ulpPush(final int id, final boolean headerDigest, final boolean dataDigest, final int cpda, final int hpda,
        final long maxH2cData, final long c2hConsumed, final long h2cSent, final int qsize)
    {
        new UlpPushFlyweight().wrap(scratch, 0, UlpMessages.PUSH_LENGTH).write(headerDigest, dataDigest, cpda, hpda,
            maxH2cData, c2hConsumed, h2cSent, 1, qsize);
        return link.offer(TYPE_NVME_ULP_PUSH, id, scratch, 0, UlpMessages.PUSH_LENGTH);
    }

    boolean ddpSetup(final int id, final int cid, final long length)
    {
        new DdpSetupFlyweight().wrap(scratch, 0, UlpMessages.SETUP_LENGTH).write(cid, length);
        return link.offer(TYPE_NVME_DDP_SETUP, id, scratch, 0, UlpMessages.SETUP_LENGTH);
    }

    boolean ddpTeardown(final int id, final int cid)
    {
        new DdpTeardownFlyweight().wrap(scratch, 0, UlpMessages.TEARDOWN_LENGTH)
            .write(cid, UlpMessages.TEARDOWN_APP_CANCEL);
        return link.offer(TYPE_NVME_DDP_TEARDOWN, id, scratch, 0, UlpMessages.TEARDOWN_LENGTH);
    }

    boolean resyncResponse(final int id, final long offset, final boolean confirmed)
    {
        new ResyncFlyweight().wrap(scratch, 0, UlpMessages.RESYNC_RESPONSE_LENGTH).writeResponse(offset, confirmed);
        return link.offer(TYPE_NVME_RESYNC_RESPONSE, id, scratch, 0, UlpMessages.RESYNC_RESPONSE_LENGTH);
    }

    /** DATA with exactly these bytes (one message; at most the link's maximum). */
    boolean data(final int id, final byte[] bytes, final int from, final int length)
    {
        final long body = link.claim(TYPE_SOCKET_DATA, id, length);
        if (body < 0)
        {
            return false;
        }
        MemorySegment.copy(bytes, from, link.memory(), ValueLayout.JAVA_BYTE, body, length);
        socket(id).sent += length;
        return true;
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
            if (s.closedByApp)
            {
                continue;
            }
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
                s.dataSizes.add(length);
                if (s.autoCredit)
                {
                    s.consumed += length;
                }
            }
            case TYPE_NVME_ULP_RESULT ->
            {
                final UlpResultFlyweight r = new UlpResultFlyweight().wrap(memory, offset, length);
                s.ulpErrno = r.errno();
                s.ulpState = r.state();
                s.ulpOffset = r.streamOffset();
            }
            case TYPE_NVME_PDU_HEADER ->
            {
                final PduHeaderMessageFlyweight m = new PduHeaderMessageFlyweight().wrap(memory, offset, length);
                final byte[] pdu = new byte[m.pduLength()];
                MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, m.pduOffset(), pdu, 0, pdu.length);
                final Header header = new Header(m.status(), pdu);
                s.pduHeaders++;
                if (s.recordUlp)
                {
                    s.ulp.add(header);
                }
                if (NvmeTcp.TYPE_C2H_DATA == header.type())
                {
                    s.c2hPlen = header.plen();
                }
                else if (s.autoCredit)
                {
                    s.consumed += header.plen();
                }
            }
            case TYPE_NVME_DDP_PLACE ->
            {
                final DdpPlaceFlyweight p = new DdpPlaceFlyweight().wrap(memory, offset, length);
                s.places++;
                s.placedBytes += p.bytesLength();
                if (s.recordUlp)
                {
                    final byte[] bytes = new byte[p.bytesLength()];
                    MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, p.bytesOffset(), bytes, 0, bytes.length);
                    s.ulp.add(new Place(p.cid(), p.flags(), p.dataOffset(), bytes));
                }
                if (0 != (p.flags() & UlpMessages.PLACE_DIGEST_ERROR))
                {
                    s.digestErrors++;
                }
                if (0 != (p.flags() & UlpMessages.PLACE_LAST))
                {
                    s.lastPieces++;
                    if (s.autoCredit)
                    {
                        s.consumed += s.c2hPlen;
                    }
                }
            }
            case TYPE_NVME_DDP_TEARDOWN ->
            {
                final DdpTeardownFlyweight t = new DdpTeardownFlyweight().wrap(memory, offset, length);
                s.ulp.add(new Teardown(t.cid(), t.reason()));
            }
            case TYPE_NVME_RESYNC_REQUEST ->
                s.ulp.add(new ResyncRequest(new ResyncFlyweight().wrap(memory, offset, length).streamOffset()));
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
