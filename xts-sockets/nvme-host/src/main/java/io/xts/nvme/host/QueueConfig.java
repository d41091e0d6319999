package io.xts.nvme.host;

import io.xts.sockets.XtsStack;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;

/**
 * What one {@link TcpQueue} is opened with: where the controller is, the queue's id and depth, the digests to ask
 * for, what the controller allows (in-capsule data, MDTS), how completions are delivered, and, for the offload
 * transport, the XTS stack whose socket carries it and when the ULP is pushed. Built with {@link #builder()}.
 *
 * @param address        the controller.
 * @param qid            queue id (0 for the admin queue).
 * @param depth          command slots (CIDs), 1..4096.
 * @param headerDigest   whether to ask for header digests.
 * @param dataDigest     whether to ask for data digests.
 * @param inCapsuleLimit bytes of in-capsule data allowed (8192 for admin; IOCCSZ x 16 - 64 for I/O).
 * @param polled         POLL mode (no reader thread) rather than THREAD mode.
 * @param timeoutNanos   time allowed for the connection, ICResp and synchronous commands.
 * @param namespaces     block sizes by namespace.
 * @param maxTransfer    most bytes of one command (MDTS), 0 for no limit.
 * @param stack          the XTS stack whose socket carries the queue, or null for kernel TCP.
 * @param ulpPushAfter   with a stack: -1 never push the ULP (software framing over the XTS socket); 0 push right
 *                       after ICResp; N push once N commands have completed (mid-stream, which exercises resync).
 * @param scatterWindow  bytes of scatter-read data the queue holds at most, in flight or unreleased; 0 for the
 *                       default ({@link TcpQueue#defaultScatterWindow}).
 */
record QueueConfig(InetSocketAddress address, int qid, int depth, boolean headerDigest, boolean dataDigest,
    long inCapsuleLimit, boolean polled, long timeoutNanos, Map<Long, Namespace> namespaces, long maxTransfer,
    XtsStack stack, int ulpPushAfter, long scatterWindow)
{
    /**
     * @throws IllegalArgumentException when the depth is outside 1..4096.
     */
    QueueConfig
    {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(namespaces, "namespaces");
        if (depth < 1 || depth > 4096)
        {
            throw new IllegalArgumentException("queue depth " + depth);
        }
        if (scatterWindow < 0)
        {
            throw new IllegalArgumentException("scatter window " + scatterWindow);
        }
    }

    /** @return a builder: qid 0, no digests, THREAD mode, kernel TCP, no MDTS limit; address, depth required. */
    static Builder builder()
    {
        return new Builder();
    }

    /** Builds a {@link QueueConfig}. */
    static final class Builder
    {
        private InetSocketAddress address;
        private int qid;
        private int depth;
        private boolean headerDigest;
        private boolean dataDigest;
        private long inCapsuleLimit;
        private boolean polled;
        private long timeoutNanos;
        private Map<Long, Namespace> namespaces = Map.of();
        private long maxTransfer;
        private XtsStack stack;
        private int ulpPushAfter = -1;
        private long scatterWindow;

        private Builder()
        {
        }

        Builder address(final InetSocketAddress address)
        {
            this.address = address;
            return this;
        }

        Builder qid(final int qid)
        {
            this.qid = qid;
            return this;
        }

        Builder depth(final int depth)
        {
            this.depth = depth;
            return this;
        }

        Builder digests(final boolean header, final boolean data)
        {
            this.headerDigest = header;
            this.dataDigest = data;
            return this;
        }

        Builder inCapsuleLimit(final long bytes)
        {
            this.inCapsuleLimit = bytes;
            return this;
        }

        Builder polled(final boolean polled)
        {
            this.polled = polled;
            return this;
        }

        Builder timeoutNanos(final long nanos)
        {
            this.timeoutNanos = nanos;
            return this;
        }

        Builder namespaces(final Map<Long, Namespace> namespaces)
        {
            this.namespaces = namespaces;
            return this;
        }

        Builder maxTransfer(final long bytes)
        {
            this.maxTransfer = bytes;
            return this;
        }

        /**
         * Go through the XTS proxy.
         *
         * @param stack        the XTS stack, or null for kernel TCP.
         * @param ulpPushAfter see {@link QueueConfig#ulpPushAfter()}.
         * @return this.
         */
        Builder xts(final XtsStack stack, final int ulpPushAfter)
        {
            this.stack = stack;
            this.ulpPushAfter = ulpPushAfter;
            return this;
        }

        Builder scatterWindow(final long bytes)
        {
            this.scatterWindow = bytes;
            return this;
        }

        QueueConfig build()
        {
            return new QueueConfig(address, qid, depth, headerDigest, dataDigest, inCapsuleLimit, polled,
                timeoutNanos, namespaces, maxTransfer, stack, ulpPushAfter, scatterWindow);
        }
    }
}
