package io.xts.link;

import io.xts.protocol.MalformedReason;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.util.Locale;

/**
 * The counters of one XTS link end, allocated in an Agrona {@link CountersManager} (in the proxy, one that lives in
 * its memory-mapped counters file, readable live by a stats tool, as Aeron's CnC counters are). Every event the link
 * handles is counted: frames and bytes each way, credit stalls, retransmissions, duplicates, gaps, malformed frames by
 * reason, heartbeats, missed heartbeats, epochs, links up and down.
 * <p>
 * Each counter has one writer (the thread driving the link, or whoever holds the lock around it), so updates are
 * release stores, not atomic read-modify-writes: readers in other processes still see every update in order.
 */
public final class LinkCounters implements AutoCloseable
{
    /** Counter type id of link counters (all XTS type ids live in one place as they grow). */
    public static final int TYPE_ID = 1001;
    /**
     * Counter type id of the link's smoothed round-trip time, a gauge in nanoseconds rather than a count, so that a
     * reader ({@code xts stat}) can tell it apart and show it as a latency.
     */
    public static final int SMOOTHED_RTT_TYPE_ID = 1002;
    /** Last word of the smoothed round-trip time's label ("link xa-1 q0 smoothed-rtt-ns"). */
    public static final String SMOOTHED_RTT_LABEL = "smoothed-rtt-ns";

    final AtomicCounter framesSent;
    final AtomicCounter framesReceived;
    final AtomicCounter bytesSent;
    final AtomicCounter bytesReceived;
    final AtomicCounter messagesSent;
    final AtomicCounter messagesReceived;
    final AtomicCounter creditStalls;
    final AtomicCounter txFrameStalls;
    final AtomicCounter windowStalls;
    final AtomicCounter windowReductions;
    final AtomicCounter retransmits;
    final AtomicCounter retransmitTimeouts;
    final AtomicCounter gapNaks;
    final AtomicCounter duplicates;
    final AtomicCounter outOfOrder;
    final AtomicCounter heartbeatsSent;
    final AtomicCounter deadPeers;
    final AtomicCounter epochChanges;
    final AtomicCounter linkUps;
    final AtomicCounter linkDowns;
    final AtomicCounter handshakeRefusals;
    final AtomicCounter foreignFrames;
    final AtomicCounter xdpForeignDrops;
    final AtomicCounter authFailures;
    final AtomicCounter unknownMessages;
    final AtomicCounter undeliverable;
    /** The RFC 6298 smoothed round-trip time of DATA frames to their acknowledgement, ns; 0 before a sample. */
    final AtomicCounter smoothedRttNs;
    private final AtomicCounter[] malformed;
    /** Messages whose listener threw: dropped (their frame is recycled and its credit returned), the error rethrown
     * at the end of the duty cycle. */
    final AtomicCounter listenerErrors;

    /**
     * @param counters where to allocate.
     * @param name     the link's name, part of every label ("xa-1 q0").
     */
    public LinkCounters(final CountersManager counters, final String name)
    {
        framesSent = counters.newCounter("link " + name + " frames-sent", TYPE_ID);
        framesReceived = counters.newCounter("link " + name + " frames-received", TYPE_ID);
        bytesSent = counters.newCounter("link " + name + " bytes-sent", TYPE_ID);
        bytesReceived = counters.newCounter("link " + name + " bytes-received", TYPE_ID);
        messagesSent = counters.newCounter("link " + name + " messages-sent", TYPE_ID);
        messagesReceived = counters.newCounter("link " + name + " messages-received", TYPE_ID);
        creditStalls = counters.newCounter("link " + name + " credit-stalls", TYPE_ID);
        txFrameStalls = counters.newCounter("link " + name + " tx-frame-stalls", TYPE_ID);
        windowStalls = counters.newCounter("link " + name + " window-stalls", TYPE_ID);
        windowReductions = counters.newCounter("link " + name + " window-reductions", TYPE_ID);
        retransmits = counters.newCounter("link " + name + " retransmits", TYPE_ID);
        retransmitTimeouts = counters.newCounter("link " + name + " retransmit-timeouts", TYPE_ID);
        gapNaks = counters.newCounter("link " + name + " gap-naks-sent", TYPE_ID);
        duplicates = counters.newCounter("link " + name + " duplicates", TYPE_ID);
        outOfOrder = counters.newCounter("link " + name + " out-of-order", TYPE_ID);
        heartbeatsSent = counters.newCounter("link " + name + " heartbeats-sent", TYPE_ID);
        deadPeers = counters.newCounter("link " + name + " heartbeats-missed", TYPE_ID);
        epochChanges = counters.newCounter("link " + name + " epoch-changes", TYPE_ID);
        linkUps = counters.newCounter("link " + name + " link-ups", TYPE_ID);
        linkDowns = counters.newCounter("link " + name + " link-downs", TYPE_ID);
        handshakeRefusals = counters.newCounter("link " + name + " handshake-refusals", TYPE_ID);
        foreignFrames = counters.newCounter("link " + name + " foreign-frames", TYPE_ID);
        xdpForeignDrops = counters.newCounter("link " + name + " xdp-foreign-drops", TYPE_ID);
        authFailures = counters.newCounter("link " + name + " auth-failures", TYPE_ID);
        unknownMessages = counters.newCounter("link " + name + " unknown-messages", TYPE_ID);
        undeliverable = counters.newCounter("link " + name + " messages-undeliverable", TYPE_ID);
        smoothedRttNs = counters.newCounter("link " + name + " " + SMOOTHED_RTT_LABEL, SMOOTHED_RTT_TYPE_ID);
        final MalformedReason[] reasons = MalformedReason.values();
        malformed = new AtomicCounter[reasons.length];
        for (final MalformedReason reason : reasons)
        {
            if (MalformedReason.NONE != reason)
            {
                malformed[reason.ordinal()] = counters.newCounter(
                    "link " + name + " malformed " + reason.name().toLowerCase(Locale.ROOT), TYPE_ID);
            }
        }
        listenerErrors = counters.newCounter("link " + name + " listener-errors", TYPE_ID);
    }

    void malformed(final MalformedReason reason)
    {
        malformed[reason.ordinal()].incrementRelease();
    }

    /**
     * @param reason a reason other than NONE.
     * @return frames dropped for it.
     */
    public long malformedCount(final MalformedReason reason)
    {
        return malformed[reason.ordinal()].get();
    }

    /** @return frames sent. */
    public long framesSent()
    {
        return framesSent.get();
    }

    /** @return frames received. */
    public long framesReceived()
    {
        return framesReceived.get();
    }

    /** @return DATA frames sent again. */
    public long retransmits()
    {
        return retransmits.get();
    }

    /** @return times no free TX frame was left to build a frame in. */
    public long txFrameStalls()
    {
        return txFrameStalls.get();
    }

    /** @return times a frame was ready but the send window was full. */
    public long windowStalls()
    {
        return windowStalls.get();
    }

    /** @return times the send window was halved after a loss. */
    public long windowReductions()
    {
        return windowReductions.get();
    }

    /** @return retransmission timeouts that fired. */
    public long retransmitTimeouts()
    {
        return retransmitTimeouts.get();
    }

    /** @return gap reports sent. */
    public long gapNaks()
    {
        return gapNaks.get();
    }

    /** @return duplicate DATA frames dropped. */
    public long duplicates()
    {
        return duplicates.get();
    }

    /** @return DATA frames dropped for arriving after a gap. */
    public long outOfOrder()
    {
        return outOfOrder.get();
    }

    /** @return times a frame was ready but the peer had granted no credit. */
    public long creditStalls()
    {
        return creditStalls.get();
    }

    /** @return unknown message types answered with LINK_ERROR. */
    public long unknownMessages()
    {
        return unknownMessages.get();
    }

    /** @return messages whose listener threw (dropped, their frame recycled). */
    public long listenerErrors()
    {
        return listenerErrors.get();
    }

    /** @return peers declared dead. */
    public long deadPeers()
    {
        return deadPeers.get();
    }

    /** @return peer restarts seen (new epochs). */
    public long epochChanges()
    {
        return epochChanges.get();
    }

    /** @return handshakes refused (version mismatch). */
    public long handshakeRefusals()
    {
        return handshakeRefusals.get();
    }

    /** @return frames dropped for coming from another source than the learned peer (by the link itself). */
    public long foreignFrames()
    {
        return foreignFrames.get();
    }

    /** @return frames the XDP program dropped for coming from another source (read about once a heartbeat). */
    public long xdpForeignDrops()
    {
        return xdpForeignDrops.get();
    }

    /** @return HELLOs and RESETs dropped for a missing or wrong keyed MAC. */
    public long authFailures()
    {
        return authFailures.get();
    }

    /** @return times the link went down after being up. */
    public long linkDowns()
    {
        return linkDowns.get();
    }

    /** @return the link's smoothed round-trip time as last published, ns; 0 before the first sample. */
    public long smoothedRttNs()
    {
        return smoothedRttNs.get();
    }

    /** @return heartbeats sent. */
    public long heartbeatsSent()
    {
        return heartbeatsSent.get();
    }

    @Override
    public void close()
    {
        for (final AtomicCounter c : new AtomicCounter[] {framesSent, framesReceived, bytesSent, bytesReceived,
            messagesSent, messagesReceived, creditStalls, txFrameStalls, windowStalls, windowReductions, retransmits,
            retransmitTimeouts, gapNaks, duplicates, outOfOrder, heartbeatsSent, deadPeers, epochChanges, linkUps,
            linkDowns, handshakeRefusals, foreignFrames, xdpForeignDrops, authFailures, unknownMessages, undeliverable,
            smoothedRttNs, listenerErrors})
        {
            c.close();
        }
        for (final AtomicCounter c : malformed)
        {
            if (null != c)
            {
                c.close();
            }
        }
    }
}
