package io.xts.proxy.nvme;

import io.xts.nvme.C2HDataPdu;
import io.xts.nvme.NvmeTcp;
import io.xts.nvme.PduError;
import io.xts.nvme.PduHandler;
import io.xts.nvme.PduHeader;
import io.xts.nvme.PduParser;
import io.xts.protocol.DdpPlaceFlyweight;
import io.xts.protocol.PduHeaderMessageFlyweight;
import io.xts.protocol.ResyncFlyweight;
import io.xts.proxy.ProxyCounters;
import io.xts.proxy.SessionFreeView;
import io.xts.proxy.config.ProxyConfig;
import org.agrona.collections.Long2LongHashMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static io.xts.nvme.NvmeTcp.TYPE_C2H_DATA;
import static io.xts.nvme.NvmeTcp.TYPE_CAPSULE_RESP;
import static io.xts.protocol.UlpMessages.PDU_HEADER_PDU_OFFSET;
import static io.xts.protocol.UlpMessages.PLACE_DIGEST_ERROR;
import static io.xts.protocol.UlpMessages.PLACE_HEADER_LENGTH;
import static io.xts.protocol.UlpMessages.PLACE_LAST;
import static io.xts.protocol.UlpMessages.PLACE_SUCCESS;
import static io.xts.protocol.UlpMessages.PLACE_UNREGISTERED;
import static io.xts.protocol.UlpMessages.RESYNC_REQUEST_LENGTH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_PLACE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_PDU_HEADER;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_DATA;

/**
 * The NVMe/TCP offload of one socket (one NVMe queue) after the app's ULP_PUSH (docs/PROTOCOL.md "NVMe/TCP offload
 * messages"): the receive side's PDU delineation, digest checks and direct data placement, the resync search, the DDP
 * registrations, and the transmit side's digests ({@link H2CDigestWriter}).
 * <p>
 * Receive path. The controller-to-host stream is read from TCP (within the app's credit, which counts stream bytes in
 * both modes) into a staging buffer of {@link #STAGING} bytes, allocated off-heap at the push and freed when the socket
 * ends. Staging is the one copy this path makes, and it is needed: unlike plain DATA, PDU headers and data must be cut
 * out of the stream and re-framed as PDU_HEADER and DDP_PLACE messages, and the bytes must stay put until the link has
 * room for the messages they become (a PDU's last piece also waits for its DDGST, whose verdict it carries). From
 * staging, bytes become link messages straight in the link's transmit frame:
 * <ul>
 * <li>in sync (ULP mode), a {@link PduParser} (host side, digests and HPDA as pushed, initialization over: an ICResp is
 * malformed) is fed no more than the next step it reports: before a header's last bytes, room for its PDU_HEADER is
 * claimed; before DATA, room for one DDP_PLACE piece (as much as fits the link message), and a PDU's last piece is fed
 * together with its DDGST, so {@link #onPduEnd} can flag it LAST, DIGEST_ERROR and SUCCESS. When the link has no
 * room, nothing is fed and the bytes wait in staging for the next duty cycle; nothing is lost, reordered or buffered
 * twice.</li>
 * <li>out of sync (ULP_RESULT "searching", or after a refused candidate), the bytes go on as DATA while the stream is
 * searched for a plausible header ({@link C2HHeaderCheck}); a candidate is offered to the app (RESYNC_REQUEST) and
 * followed PLEN to PLEN, DATA cut at each of its boundaries; once the app confirms, the engine switches to ULP mode at
 * the chain's next boundary, for good.</li>
 * </ul>
 * A malformed PDU or a header digest error ends the socket ({@link #drain} returns {@link #FAILED} and
 * {@link #failure()} names the field, its value, what was expected and the stream offset); a data digest error is
 * flagged on the PDU's last piece and counted.
 * <p>
 * Memory is bounded: the staging buffer, the parser's header buffer, a registration table preallocated for
 * min(queue size, configured maximum) entries, and fixed state. Nothing is allocated per PDU or message.
 * Single-threaded (the one-thread mode's agent; the two-thread mode refuses the push). The rest of the proxy is seen
 * through an {@link OffloadPort}: room on the link, its memory and the counters.
 */
public final class NvmeQueueOffload implements PduHandler
{
    /** Bytes of the staging buffer. */
    public static final int STAGING = 256 * 1024;
    /** Drain result: nothing more can go out until more bytes arrive from TCP (or the app answers a resync). */
    public static final int IDLE = 0;
    /** Drain result: the link has no room now; call again next duty cycle. */
    public static final int BLOCKED = 1;
    /** Drain result: the stream is malformed; the socket must end ({@link #failure()}). */
    public static final int FAILED = 2;

    /** Below this room in staging's tail, what is still needed is moved to the front before a read. */
    private static final int COMPACT_BELOW = 64 * 1024;
    /** Below this room in the frame being filled, a piece claims a whole message's worth (a fresh frame). */
    private static final int MIN_CLAIM = 512;
    private static final long MISSING = -1;

    private static final int SEARCH = 0;
    private static final int CHAIN = 1;
    private static final int ULP = 2;
    private static final int DEAD = 3;

    private final OffloadPort port;
    private final ProxyCounters counters;
    private final int id;
    private final boolean headerDigest;
    private final boolean dataDigest;
    private final int hpda;
    private final int maxRegistrations;
    private final long maxRegistrationLength;
    private final Arena arena;
    private final MemorySegment stage;
    /** A view of staging for socket reads (no memory session, so reads allocate nothing). */
    private final ByteBuffer stageView;
    private final PduParser parser;
    private final C2HHeaderCheck check;
    private final Long2LongHashMap registrations;
    private final H2CDigestWriter tx;
    private final PduHeaderMessageFlyweight headerMessage = new PduHeaderMessageFlyweight();
    private final DdpPlaceFlyweight place = new DdpPlaceFlyweight();
    private final ResyncFlyweight resync = new ResyncFlyweight();

    /** Stream offset of staging's first byte, and of the end of what was read. */
    private long stageBase;
    private long stageEnd;
    private int mode;
    private boolean endOfStream;
    private String failure;
    private boolean failureIsHeaderDigest;

    // ULP mode
    private long parserBase;
    private long fed;
    private long headerBody = -1;
    private long placeBody = -1;
    private int placeFlags;
    private long placeOffset;
    private int pduCid;
    private long pduDatao;
    private long pduRegistration = MISSING;

    // DATA modes (search, chain)
    private long emitted;
    private long scan;
    private long candidate;
    private long chainNext;
    private long chainPlen;
    private boolean chainChecked;
    private long rescanFrom;
    private boolean requestOwed;
    private boolean requestSent;
    private boolean confirmed;

    /**
     * @param port         where messages to the app are claimed, and the counters.
     * @param id           the socket id.
     * @param queue        the queue as the app's ULP_PUSH describes it.
     * @param config       the offload settings.
     * @param c2hForwarded bytes of the controller-to-host stream forwarded so far (where staging starts): in sync when
     *                     the app has consumed exactly those (ULP messages from there), else the engine searches.
     */
    NvmeQueueOffload(
        final OffloadPort port, final int id, final PushedQueue queue, final ProxyConfig.NvmeOffload config,
        final long c2hForwarded)
    {
        this.port = port;
        this.counters = port.counters();
        this.id = id;
        this.headerDigest = queue.headerDigest();
        this.dataDigest = queue.dataDigest();
        this.hpda = queue.hpda();
        this.maxRegistrations = Math.min(queue.qsize(), config.maxRegistrationsPerQueue());
        this.maxRegistrationLength = config.maxRegistrationLength();
        this.parser = new PduParser(PduParser.Side.HOST, config.maxRegistrationLength(), this);
        this.check = new C2HHeaderCheck(queue, config.maxRegistrationLength());
        // Sized so that the most registrations allowed never make it grow.
        this.registrations = new Long2LongHashMap(Math.max(8, (int)(maxRegistrations / 0.5f) + 1), 0.65f, MISSING);
        this.tx = new H2CDigestWriter(queue, config.maxRegistrationLength());
        this.stageBase = c2hForwarded;
        this.stageEnd = c2hForwarded;
        this.arena = Arena.ofConfined();
        try
        {
            this.stage = arena.allocate(STAGING, 64);
            this.stageView = SessionFreeView.of(stage);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
        if (c2hForwarded == queue.c2hConsumed())
        {
            switchToPdus(c2hForwarded);
        }
        else
        {
            mode = SEARCH;
            emitted = c2hForwarded;
            scan = c2hForwarded;
        }
    }

    /** Free the staging buffer (the socket ended). Idempotent. */
    public void close()
    {
        if (arena.scope().isAlive())
        {
            arena.close();
        }
        mode = DEAD;
    }

    /** @return whether the engine delineates PDUs (ULP messages), as opposed to forwarding DATA while it searches. */
    boolean inSync()
    {
        return ULP == mode;
    }

    /** @return the malformed PDU, worded with its field, value, expectation and stream offset; null while none. */
    public String failure()
    {
        return failure;
    }

    /** @return whether the failure is a header digest mismatch (counted apart from other malformed PDUs). */
    public boolean failureIsHeaderDigest()
    {
        return failureIsHeaderDigest;
    }

    // ---- transmit ----

    /**
     * A DATA body from the app, before it goes anywhere: fill its digests in place.
     *
     * @return false when the app's stream is malformed ({@link #txFailure()}).
     */
    public boolean onAppData(final MemorySegment memory, final long offset, final int length)
    {
        final long before = tx.digestsWritten();
        final boolean ok = tx.onData(memory, offset, length);
        final long written = tx.digestsWritten() - before;
        if (written > 0)
        {
            ProxyCounters.add(counters.nvmeTxDigests, written);
        }
        return ok;
    }

    /** @return what was malformed in the app's stream. */
    public String txFailure()
    {
        return tx.errorText();
    }

    // ---- registrations ----

    /**
     * DDP_SETUP.
     *
     * @return null when registered, else why it is refused.
     */
    String setup(final int cid, final long length)
    {
        if (0 == length || length > maxRegistrationLength)
        {
            return "buffer length " + length + " outside 1.." + maxRegistrationLength;
        }
        if (registrations.containsKey(cid))
        {
            return "command id " + cid + " is registered already";
        }
        if (registrations.size() >= maxRegistrations)
        {
            return "the queue holds " + maxRegistrations + " registrations already";
        }
        registrations.put(cid, length);
        return null;
    }

    /** DDP_TEARDOWN from the app. */
    void teardown(final int cid)
    {
        endRegistration(cid);
    }

    /** @return registrations held. */
    int registrations()
    {
        return registrations.size();
    }

    private void endRegistration(final int cid)
    {
        if (MISSING != registrations.remove(cid))
        {
            ProxyCounters.increment(counters.nvmeDdpTeardown);
        }
    }

    // ---- resync ----

    /**
     * RESYNC_RESPONSE from the app.
     *
     * @return false when it was about no pending request (ignored, counted).
     */
    public boolean onResyncResponse(final long offset, final boolean headerThere)
    {
        if (CHAIN == mode && requestSent && offset == candidate)
        {
            requestSent = false;
            if (headerThere)
            {
                confirmed = true;
                ProxyCounters.increment(counters.nvmeResyncConfirmed);
            }
            else
            {
                restartSearch();
            }
            return true;
        }
        ProxyCounters.increment(counters.nvmeResyncIgnored);
        return false;
    }

    private void restartSearch()
    {
        mode = SEARCH;
        scan = rescanFrom;
        requestOwed = false;
        requestSent = false;
        confirmed = false;
        chainChecked = false;
    }

    // ---- reading from TCP into staging ----

    /** @return whether staging can take more bytes (after moving what is still needed to the front). */
    public boolean canRead()
    {
        return room() > 0;
    }

    /**
     * Make room in staging for a read.
     *
     * @return where the read goes in {@link #stageView()}, or -1 when staging is full.
     */
    public int prepareRead()
    {
        if (room() <= 0)
        {
            return -1;
        }
        final long keep = keepFrom();
        if (keep == stageEnd)
        {
            stageBase = stageEnd;
        }
        else if (stageBase + STAGING - stageEnd < COMPACT_BELOW && keep > stageBase)
        {
            // Whatever is still needed (not yet sent, or kept for the search) moves to the front. Offsets are stream
            // offsets, so nothing else changes; the parser keeps no pointer into staging.
            MemorySegment.copy(stage, keep - stageBase, stage, 0, stageEnd - keep);
            stageBase = keep;
        }
        return (int)(stageEnd - stageBase);
    }

    /** @return bytes a read may put at {@link #prepareRead()}'s position. */
    public int readRoom()
    {
        return (int)(stageBase + STAGING - stageEnd);
    }

    /** @return the view socket reads go into. */
    public ByteBuffer stageView()
    {
        return stageView;
    }

    /** @param n bytes a read put at {@link #prepareRead()}'s position. */
    public void received(final int n)
    {
        stageEnd += n;
    }

    /** The peer sent FIN: bytes held back for the search (a header's first bytes) go out as they are. */
    public void endOfStream()
    {
        endOfStream = true;
    }

    /** @return bytes staging could hold after moving what is still needed to the front. */
    private long room()
    {
        if (DEAD == mode)
        {
            return 0;
        }
        long used = stageEnd - keepFrom();
        if (used >= STAGING && CHAIN == mode)
        {
            // Staging is full of bytes kept only for a search after a refusal (the app has not answered): give up
            // searching from right after the candidate, search from what is still here instead.
            rescanFrom = Math.max(rescanFrom, Math.min(emitted, chainNext));
            used = stageEnd - keepFrom();
        }
        return STAGING - used;
    }

    private long keepFrom()
    {
        return switch (mode)
        {
            case ULP -> fed;
            case SEARCH -> Math.min(emitted, scan);
            case CHAIN -> Math.min(Math.min(emitted, chainNext), rescanFrom);
            default -> stageEnd;
        };
    }

    // ---- to the app ----

    /**
     * Send what staging holds, as far as the link takes it and the stream's framing allows.
     *
     * @return {@link #IDLE}, {@link #BLOCKED} or {@link #FAILED}.
     */
    public int drain()
    {
        while (true)
        {
            if (DEAD == mode)
            {
                return FAILED;
            }
            if (requestOwed)
            {
                final long body = port.claim(TYPE_NVME_RESYNC_REQUEST, id, RESYNC_REQUEST_LENGTH);
                if (body < 0)
                {
                    return BLOCKED;
                }
                resync.wrap(port.memory(), body, RESYNC_REQUEST_LENGTH).writeRequest(candidate);
                requestOwed = false;
                requestSent = true;
                ProxyCounters.increment(counters.nvmeResyncRequests);
            }
            switch (mode)
            {
                case ULP ->
                {
                    return drainPdus();
                }
                case SEARCH ->
                {
                    scan();
                    if (CHAIN == mode)
                    {
                        continue;
                    }
                    if (emitted == stageEnd)
                    {
                        return IDLE;
                    }
                    if (!forward(stageEnd))
                    {
                        return BLOCKED;
                    }
                }
                default ->
                {
                    if (emitted < chainNext)
                    {
                        // DATA never crosses a boundary of the chain, so a confirmation can switch at the next one.
                        if (emitted == stageEnd)
                        {
                            return IDLE;
                        }
                        if (!forward(Math.min(stageEnd, chainNext)))
                        {
                            return BLOCKED;
                        }
                        continue;
                    }
                    if (confirmed && emitted == chainNext)
                    {
                        switchToPdus(emitted);
                        continue;
                    }
                    if (!chainChecked)
                    {
                        final long plen = check.check(stage, chainNext - stageBase, stageEnd - chainNext);
                        if (C2HHeaderCheck.NEED_MORE == plen)
                        {
                            if (endOfStream && emitted < stageEnd)
                            {
                                if (!forward(stageEnd))
                                {
                                    return BLOCKED;
                                }
                                continue;
                            }
                            return IDLE;
                        }
                        if (C2HHeaderCheck.NO == plen)
                        {
                            // The chain broke: the candidate was not a header after all.
                            restartSearch();
                            continue;
                        }
                        chainPlen = plen;
                        chainChecked = true;
                    }
                    chainNext += chainPlen;
                    chainChecked = false;
                }
            }
        }
    }

    private void scan()
    {
        while (scan < stageEnd)
        {
            final long plen = check.check(stage, scan - stageBase, stageEnd - scan);
            if (C2HHeaderCheck.NEED_MORE == plen)
            {
                return;
            }
            if (plen > 0)
            {
                mode = CHAIN;
                candidate = scan;
                chainNext = scan;
                chainPlen = plen;
                chainChecked = true;
                rescanFrom = scan + 1;
                requestOwed = true;
                requestSent = false;
                confirmed = false;
                return;
            }
            scan++;
        }
    }

    /** One DATA message of staged bytes, up to {@code limit}. */
    private boolean forward(final long limit)
    {
        final int room = port.claimableInFrame();
        final int max = room >= MIN_CLAIM ? room : port.maxMessageLength();
        final int n = (int)Math.min(limit - emitted, max);
        final long body = port.claim(TYPE_SOCKET_DATA, id, n);
        if (body < 0)
        {
            return false;
        }
        MemorySegment.copy(stage, emitted - stageBase, port.memory(), body, n);
        emitted += n;
        ProxyCounters.increment(counters.dataTcpToApp);
        return true;
    }

    private void switchToPdus(final long at)
    {
        mode = ULP;
        parserBase = at;
        fed = at;
        parser.reset().digests(headerDigest, dataDigest).receivePda(hpda).initializationOver();
    }

    private int drainPdus()
    {
        while (true)
        {
            final long available = stageEnd - fed;
            if (available <= 0)
            {
                return IDLE;
            }
            if (parser.readingData())
            {
                final long remaining = parser.bytesToStepEnd();
                final PduHeader header = parser.header();
                if (TYPE_C2H_DATA != header.type())
                {
                    // A C2HTermReq's data (the header the controller choked on): its PDU_HEADER said all there is.
                    if (!feed(Math.min(available, remaining)))
                    {
                        return FAILED;
                    }
                    continue;
                }
                final int digest = header.hasDataDigest() ? NvmeTcp.DIGEST_LENGTH : 0;
                final int room = port.claimableInFrame();
                final long max = (room >= MIN_CLAIM ? room : port.maxMessageLength()) - PLACE_HEADER_LENGTH;
                final long piece;
                final long feedLength;
                if (remaining <= max && available >= remaining + digest)
                {
                    // The last piece, fed with the DDGST after it so that it carries the verdict.
                    piece = remaining;
                    feedLength = remaining + digest;
                }
                else if (remaining <= max && available >= remaining)
                {
                    // The last piece waits for its digest's bytes.
                    return IDLE;
                }
                else
                {
                    piece = Math.min(available, Math.min(remaining, max));
                    feedLength = piece;
                }
                final long body = port.claim(TYPE_NVME_DDP_PLACE, id, PLACE_HEADER_LENGTH + (int)piece);
                if (body < 0)
                {
                    return BLOCKED;
                }
                placeBody = body;
                final boolean ok = feed(feedLength);
                placeBody = -1;
                if (!ok)
                {
                    return FAILED;
                }
            }
            else if (parser.readingHeaderBody())
            {
                final long need = parser.bytesToStepEnd();
                if (available < need)
                {
                    if (!feed(available))
                    {
                        return FAILED;
                    }
                    return IDLE;
                }
                final int hlen = parser.header().hlen();
                final long body = port.claim(TYPE_NVME_PDU_HEADER, id, PDU_HEADER_PDU_OFFSET + hlen);
                if (body < 0)
                {
                    return BLOCKED;
                }
                headerBody = body;
                final boolean ok = feed(need);
                final boolean used = -1 == headerBody;
                headerBody = -1;
                if (!ok)
                {
                    if (!used)
                    {
                        // The header failed its digest or DATAL check: nothing goes to the app for it.
                        port.trimClaim(0);
                    }
                    return FAILED;
                }
            }
            else if (!feed(Math.min(available, parser.bytesToStepEnd())))
            {
                return FAILED;
            }
        }
    }

    private boolean feed(final long length)
    {
        fed += parser.feed(stage, fed - stageBase, length);
        return DEAD != mode;
    }

    private long pduOffset()
    {
        return parserBase + parser.pduStart();
    }

    private void fail(final boolean headerDigestError, final String text)
    {
        failure = text;
        failureIsHeaderDigest = headerDigestError;
        mode = DEAD;
    }

    // ---- the parser's reports (only during feed, with room claimed as each needs) ----

    @Override
    public void onHeader(final PduHeader header)
    {
        if (headerBody < 0)
        {
            throw new IllegalStateException("a PDU header completed without room claimed for it");
        }
        final MemorySegment memory = port.memory();
        final int hlen = header.hlen();
        headerMessage.wrap(memory, headerBody, PDU_HEADER_PDU_OFFSET + hlen).writeStatus(0);
        MemorySegment.copy(parser.headerBuffer(), 0, memory, headerBody + PDU_HEADER_PDU_OFFSET, hlen);
        headerBody = -1;
        final int type = header.type();
        if (TYPE_C2H_DATA == type)
        {
            final C2HDataPdu data = parser.c2hData();
            pduCid = data.cccid();
            pduDatao = data.datao();
            pduRegistration = registrations.get(pduCid);
        }
        else if (TYPE_CAPSULE_RESP == type)
        {
            // The command is complete: its registration, if any, ends.
            endRegistration(parser.capsuleResp().cqe().cid());
        }
    }

    @Override
    public void onData(
        final PduHeader header, final long dataOffset, final MemorySegment memory, final long offset,
        final int length)
    {
        if (TYPE_C2H_DATA != header.type())
        {
            return;
        }
        if (placeBody < 0)
        {
            throw new IllegalStateException("C2HData bytes without room claimed for them");
        }
        placeOffset = pduDatao + dataOffset;
        final boolean registered = MISSING != pduRegistration && placeOffset + length <= pduRegistration;
        placeFlags = registered ? 0 : PLACE_UNREGISTERED;
        final MemorySegment to = port.memory();
        place.wrap(to, placeBody, PLACE_HEADER_LENGTH + length).writeHeader(pduCid, placeFlags, placeOffset);
        MemorySegment.copy(memory, offset, to, placeBody + PLACE_HEADER_LENGTH, length);
        ProxyCounters.add(registered ? counters.nvmeOffloadBytes : counters.nvmeUnregisteredBytes, length);
    }

    @Override
    public void onPduEnd(final PduHeader header, final boolean dataDigestOk)
    {
        if (TYPE_C2H_DATA != header.type())
        {
            return;
        }
        int flags = placeFlags | PLACE_LAST;
        if (!dataDigestOk)
        {
            flags |= PLACE_DIGEST_ERROR;
            ProxyCounters.increment(counters.nvmeDdgstErrors);
        }
        if (header.isSuccess())
        {
            flags |= PLACE_SUCCESS;
        }
        place.writeHeader(pduCid, flags, placeOffset);
        if (MISSING != pduRegistration)
        {
            ProxyCounters.increment(counters.nvmeOffloadPdus);
        }
        if (header.isSuccess())
        {
            endRegistration(pduCid);
        }
    }

    @Override
    public void onMalformed(final PduError error, final String reason)
    {
        fail(PduError.HEADER_DIGEST == error, "controller's " + NvmeTcp.typeName(parser.header().type()) +
            " PDU at controller-to-host stream offset " + pduOffset() + ": " + reason);
    }
}
