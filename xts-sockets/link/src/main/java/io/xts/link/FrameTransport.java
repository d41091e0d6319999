package io.xts.link;

import java.lang.foreign.MemorySegment;

/**
 * What the XTS link needs from the medium under it: frames in one memory region, named by their offset ("frame
 * handles"), that it can fill and send, hold until acknowledged and send again, and frames received that it holds
 * until its user has consumed them. Two implementations: AF_XDP ({@code XskFrameTransport}, frames are UMEM frames,
 * sending is zero-copy) and an in-process pair for unprivileged tests ({@link InProcessTransport}). Everything above
 * is the same code for both.
 * <p>
 * Ownership: {@link #acquire()} hands a TX frame to the link; {@link #transmit(long, int)} queues it for the wire
 * and may be called again for the same frame to retransmit it; {@link #release(long)} says the link is done with it
 * (acknowledged), and the transport frees it once every queued transmission of it has completed. A received frame
 * belongs to the link from {@link #receive} until {@link #recycle(long)}, which gives the buffer back for receiving.
 * A transport is driven by one thread.
 */
public interface FrameTransport extends AutoCloseable
{
    /**
     * @return the memory every frame handle is an offset into.
     */
    MemorySegment memory();

    /**
     * @return the largest frame, Ethernet header included, this transport can send or receive.
     */
    int maxFrameLength();

    /**
     * @return how many frames this side can hold received at once: the pool credits are granted from.
     */
    int receiveCapacity();

    /**
     * Take a free TX frame.
     *
     * @return its handle (offset into {@link #memory()}), or -1 when none is free.
     */
    long acquire();

    /**
     * Queue a frame for sending. Sending the same frame again before it completed is allowed (a retransmission).
     *
     * @param frame  a handle from {@link #acquire()}, not yet released.
     * @param length bytes of the frame, Ethernet header included.
     * @return false when the transmit queue is full (nothing was queued; try after {@link #flush()}).
     */
    boolean transmit(long frame, int length);

    /**
     * The link no longer needs this frame; it becomes free once its queued transmissions completed.
     *
     * @param frame a handle from {@link #acquire()}.
     */
    void release(long frame);

    /**
     * @return frames queued or on their way to the wire and not yet completed: the link keeps this short so that a
     *         retransmission does not wait behind a long queue of its own frames.
     */
    int transmitBacklog();

    /**
     * Push queued frames to the wire and reap completions.
     *
     * @return work done (frames pushed or completed), for the idle strategy.
     */
    int flush();

    /**
     * Hand received frames to {@code handler}; each stays owned by the link until {@link #recycle(long)}.
     *
     * @param handler gets each frame.
     * @param limit   most frames to hand over.
     * @return frames handed over.
     */
    int receive(FrameHandler handler, int limit);

    /**
     * Give a received frame's buffer back for receiving.
     *
     * @param frame the handle {@link FrameHandler#onFrame} got.
     */
    void recycle(long frame);

    /**
     * Release everything, exactly once.
     */
    /**
     * The link learned its peer at the handshake: from now on only {@code mac} may send on this transport. A
     * transport that can filter below the link (the XDP program's peer map) does so; the default does nothing, the
     * link checks every frame's source itself as well.
     *
     * @param mac the peer's MAC in the low 48 bits.
     */
    default void trustOnly(final long mac)
    {
    }

    /**
     * The link is down and connecting again: anyone may answer its HELLO.
     */
    default void trustAnyone()
    {
    }

    /**
     * @return frames dropped below the link for coming from another source than the learned peer.
     */
    default long foreignDrops()
    {
        return 0;
    }

    @Override
    void close();

    /**
     * Receives frames from {@link FrameTransport#receive}.
     */
    @FunctionalInterface
    interface FrameHandler
    {
        /**
         * @param memory the transport's memory.
         * @param frame  the frame's handle (offset into {@code memory}).
         * @param length bytes received, Ethernet header included.
         */
        void onFrame(MemorySegment memory, long frame, int length);
    }
}
