package io.xts.proxy;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The proxy's counters, allocated in an Agrona {@link CountersManager} (in production the one in the proxy's
 * memory-mapped counters file, so {@code xts stat} reads them live): links and sockets open now (gauges), connects,
 * accepts, bytes and DATA messages each way, errors sent by kind, refusals by reason and resets each way, the
 * two-thread mode's hand-off rings found full, and the NVMe/TCP offload engine's work ({@code nvme-*}). Each counter
 * has exactly one writer (the agent thread in the one-thread mode; in the two-thread mode the link agent for
 * {@code ring-full-to-tcp}, the TCP agent for every other), so updates are plain release stores, not atomic
 * read-modify-writes. Labels are "proxy &lt;name&gt; &lt;counter&gt;", the names in the docs. The counters the NVMe/TCP
 * offload ({@code io.xts.proxy.nvme}) updates are public; the rest are the package's.
 */
public final class ProxyCounters implements AutoCloseable
{
    /** Counter type id of proxy counters (link counters are 1001). */
    public static final int TYPE_ID = 1002;

    final AtomicCounter linksUp;
    final AtomicCounter socketsOpen;
    final AtomicCounter listenersOpen;
    final AtomicCounter bytesInFlight;
    final AtomicCounter pendingBuffers;
    final AtomicCounter connectsOk;
    final AtomicCounter connectsFailed;
    final AtomicCounter connectTimeouts;
    final AtomicCounter accepted;
    final AtomicCounter bytesAppToTcp;
    final AtomicCounter bytesTcpToApp;
    final AtomicCounter dataAppToTcp;
    public final AtomicCounter dataTcpToApp;
    final AtomicCounter errorsEbadf;
    final AtomicCounter errorsEinval;
    final AtomicCounter errorsEproto;
    final AtomicCounter refusedAllowList;
    final AtomicCounter refusedSocketLimit;
    final AtomicCounter refusedListenerLimit;
    final AtomicCounter refusedBytesInFlight;
    final AtomicCounter resetsSent;
    final AtomicCounter resetsReceived;
    final AtomicCounter tcpAborts;
    /** Connections the SIGTERM stop ended with an RST because the kernel would not take their last bytes. */
    final AtomicCounter stopResets;
    /** Sockets ended by a failure inside the proxy (a bug): ERROR and RESET ECONNABORTED to the app, RST to peer. */
    final AtomicCounter internalErrors;
    /** CREDITs for an id the app had just closed: dropped, not answered with EBADF. */
    final AtomicCounter lateCredits;
    final AtomicCounter linkDownAborts;
    /** Two-thread mode: a message from the app found the toTcp ring full (the link held its frame). */
    final AtomicCounter ringFullToTcp;
    /** Two-thread mode: a message to the app found the toLink ring full (the claim was refused). */
    final AtomicCounter ringFullToLink;
    /** NVMe/TCP offload: sockets whose ULP_PUSH was accepted, and offloaded sockets that ended. */
    public final AtomicCounter nvmeQueueInit;
    public final AtomicCounter nvmeQueueTeardown;
    /** ULP_PUSH answered with an errno (EOPNOTSUPP or EINVAL). */
    public final AtomicCounter nvmeUlpRefused;
    /** DDP registrations accepted, refused (DDP_TEARDOWN REFUSED), and ended (command complete or app teardown). */
    public final AtomicCounter nvmeDdpSetup;
    public final AtomicCounter nvmeDdpSetupFail;
    public final AtomicCounter nvmeDdpTeardown;
    /** Offloaded sockets ended by a fatal PDU error (malformed either way, or a header digest error). */
    final AtomicCounter nvmeDrop;
    /** Malformed PDUs (controller's or app's), header digest errors excepted. */
    final AtomicCounter nvmeMalformed;
    final AtomicCounter nvmeHdgstErrors;
    public final AtomicCounter nvmeDdgstErrors;
    public final AtomicCounter nvmeResyncRequests;
    public final AtomicCounter nvmeResyncConfirmed;
    /** RESYNC_RESPONSEs for an offset no longer pending (or on a socket not searching): ignored. */
    public final AtomicCounter nvmeResyncIgnored;
    /** C2HData PDUs whose data went to a registration, and the bytes placed into registrations. */
    public final AtomicCounter nvmeOffloadPdus;
    public final AtomicCounter nvmeOffloadBytes;
    /** C2HData bytes sent flagged unregistered (no registration, or beyond its length): the app copies them. */
    public final AtomicCounter nvmeUnregisteredBytes;
    /** Header and data digests the proxy wrote into the app's PDUs on their way to TCP. */
    public final AtomicCounter nvmeTxDigests;
    private final AtomicCounter[] all;

    /**
     * @param counters where to allocate.
     * @param name     the proxy's name in every label ("eth1 q0").
     */
    public ProxyCounters(final CountersManager counters, final String name)
    {
        final String p = "proxy " + name + " ";
        linksUp = counters.newCounter(p + "links-up", TYPE_ID);
        socketsOpen = counters.newCounter(p + "sockets-open", TYPE_ID);
        listenersOpen = counters.newCounter(p + "listeners-open", TYPE_ID);
        bytesInFlight = counters.newCounter(p + "bytes-in-flight-granted", TYPE_ID);
        pendingBuffers = counters.newCounter(p + "pending-buffers", TYPE_ID);
        connectsOk = counters.newCounter(p + "connects-ok", TYPE_ID);
        connectsFailed = counters.newCounter(p + "connects-failed", TYPE_ID);
        connectTimeouts = counters.newCounter(p + "connect-timeouts", TYPE_ID);
        accepted = counters.newCounter(p + "accepted", TYPE_ID);
        bytesAppToTcp = counters.newCounter(p + "bytes-app-to-tcp", TYPE_ID);
        bytesTcpToApp = counters.newCounter(p + "bytes-tcp-to-app", TYPE_ID);
        dataAppToTcp = counters.newCounter(p + "data-msgs-app-to-tcp", TYPE_ID);
        dataTcpToApp = counters.newCounter(p + "data-msgs-tcp-to-app", TYPE_ID);
        errorsEbadf = counters.newCounter(p + "errors-ebadf", TYPE_ID);
        errorsEinval = counters.newCounter(p + "errors-einval", TYPE_ID);
        errorsEproto = counters.newCounter(p + "errors-eproto", TYPE_ID);
        refusedAllowList = counters.newCounter(p + "refused-allow-list", TYPE_ID);
        refusedSocketLimit = counters.newCounter(p + "refused-socket-limit", TYPE_ID);
        refusedListenerLimit = counters.newCounter(p + "refused-listener-limit", TYPE_ID);
        refusedBytesInFlight = counters.newCounter(p + "refused-bytes-in-flight", TYPE_ID);
        resetsSent = counters.newCounter(p + "resets-sent", TYPE_ID);
        resetsReceived = counters.newCounter(p + "resets-received", TYPE_ID);
        tcpAborts = counters.newCounter(p + "tcp-aborts", TYPE_ID);
        linkDownAborts = counters.newCounter(p + "link-down-aborts", TYPE_ID);
        ringFullToTcp = counters.newCounter(p + "ring-full-to-tcp", TYPE_ID);
        ringFullToLink = counters.newCounter(p + "ring-full-to-link", TYPE_ID);
        nvmeQueueInit = counters.newCounter(p + "nvme-queue-init", TYPE_ID);
        nvmeQueueTeardown = counters.newCounter(p + "nvme-queue-teardown", TYPE_ID);
        nvmeUlpRefused = counters.newCounter(p + "nvme-ulp-refused", TYPE_ID);
        nvmeDdpSetup = counters.newCounter(p + "nvme-ddp-setup", TYPE_ID);
        nvmeDdpSetupFail = counters.newCounter(p + "nvme-ddp-setup-fail", TYPE_ID);
        nvmeDdpTeardown = counters.newCounter(p + "nvme-ddp-teardown", TYPE_ID);
        nvmeDrop = counters.newCounter(p + "nvme-drop", TYPE_ID);
        nvmeMalformed = counters.newCounter(p + "nvme-malformed", TYPE_ID);
        nvmeHdgstErrors = counters.newCounter(p + "nvme-hdgst-errors", TYPE_ID);
        nvmeDdgstErrors = counters.newCounter(p + "nvme-ddgst-errors", TYPE_ID);
        nvmeResyncRequests = counters.newCounter(p + "nvme-resync-requests", TYPE_ID);
        nvmeResyncConfirmed = counters.newCounter(p + "nvme-resync-confirmed", TYPE_ID);
        nvmeResyncIgnored = counters.newCounter(p + "nvme-resync-ignored", TYPE_ID);
        nvmeOffloadPdus = counters.newCounter(p + "nvme-offload-pdus", TYPE_ID);
        nvmeOffloadBytes = counters.newCounter(p + "nvme-offload-bytes", TYPE_ID);
        nvmeUnregisteredBytes = counters.newCounter(p + "nvme-unregistered-bytes", TYPE_ID);
        nvmeTxDigests = counters.newCounter(p + "nvme-tx-digests", TYPE_ID);
        stopResets = counters.newCounter(p + "stop-resets", TYPE_ID);
        internalErrors = counters.newCounter(p + "internal-errors", TYPE_ID);
        lateCredits = counters.newCounter(p + "late-credits", TYPE_ID);
        all = new AtomicCounter[] {linksUp, socketsOpen, listenersOpen, bytesInFlight, pendingBuffers, connectsOk,
            connectsFailed, connectTimeouts, accepted, bytesAppToTcp, bytesTcpToApp, dataAppToTcp, dataTcpToApp,
            errorsEbadf, errorsEinval, errorsEproto, refusedAllowList, refusedSocketLimit, refusedListenerLimit,
            refusedBytesInFlight, resetsSent, resetsReceived, tcpAborts, linkDownAborts, ringFullToTcp, ringFullToLink,
            nvmeQueueInit, nvmeQueueTeardown, nvmeUlpRefused, nvmeDdpSetup, nvmeDdpSetupFail, nvmeDdpTeardown, nvmeDrop,
            nvmeMalformed, nvmeHdgstErrors, nvmeDdgstErrors, nvmeResyncRequests, nvmeResyncConfirmed, nvmeResyncIgnored,
            nvmeOffloadPdus, nvmeOffloadBytes, nvmeUnregisteredBytes, nvmeTxDigests,
            stopResets, internalErrors, lateCredits};
    }

    /**
     * Add to a counter (it has one writer: a release store, no atomic read-modify-write needed).
     *
     * @param counter the counter.
     * @param delta   what to add.
     */
    public static void add(final AtomicCounter counter, final long delta)
    {
        counter.getAndAddRelease(delta);
    }

    /**
     * Add one to a counter (it has one writer).
     *
     * @param counter the counter.
     */
    public static void increment(final AtomicCounter counter)
    {
        counter.incrementRelease();
    }

    /**
     * @param label the counter's name after "proxy &lt;name&gt; ", e.g. "refused-allow-list".
     * @return its value.
     * @throws IllegalArgumentException when there is no such counter.
     */
    public long get(final String label)
    {
        for (final AtomicCounter c : all)
        {
            if (c.label().endsWith(" " + label))
            {
                return c.get();
            }
        }
        throw new IllegalArgumentException("no proxy counter named " + label);
    }

    @Override
    public void close()
    {
        for (final AtomicCounter c : all)
        {
            c.close();
        }
    }
}
