package io.xts.link;

import java.lang.foreign.MemorySegment;

/**
 * What an XTS link tells its user: messages delivered in order, and the link's life (up, down, peer restarted).
 * Called on the thread that drives the link.
 */
public interface LinkListener
{
    /**
     * A message arrived, in order. Return false to refuse it for now (the consumer is full): the link keeps the frame,
     * offers the message again on a later duty cycle, and grants the peer less credit meanwhile, so backpressure
     * reaches the sender.
     *
     * @param type     message type.
     * @param streamId stream id.
     * @param memory   memory holding the body.
     * @param offset   body offset.
     * @param length   body length.
     * @return true when consumed.
     */
    boolean onMessage(int type, int streamId, MemorySegment memory, long offset, int length);

    /**
     * The link has delivered every message it will deliver in this duty cycle. The bodies of all messages delivered
     * since the previous call stay valid until this returns (their frames go back to the receive pool only
     * afterwards), so a listener may collect them and act on them together, e.g. write several DATA bodies for one
     * TCP socket with one gathering write; it must not touch them after returning.
     */
    default void onDeliveryBatchEnd()
    {
    }

    /**
     * The handshake completed.
     *
     * @param peerEpoch the peer's epoch.
     * @param version   the version agreed.
     */
    default void onLinkUp(final int peerEpoch, final int version)
    {
    }

    /**
     * The link went down; everything in flight on it failed.
     *
     * @param reason why, for error messages ("peer dead: no frame for 612 ms (timeout 500 ms)").
     */
    default void onLinkDown(final String reason)
    {
    }
}
