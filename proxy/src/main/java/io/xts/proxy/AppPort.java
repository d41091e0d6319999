package io.xts.proxy;

import java.lang.foreign.MemorySegment;

/**
 * What the TCP side of the proxy ({@link LinkSession}, {@link TcpConnection}, {@link TcpListener}) needs from the
 * link toward the app host: claim room for a message, write its body where the claim says, shorten or withdraw the
 * last claim, and know whether the link is up and how large a message may be. One thread uses a port.
 * <p>
 * Two implementations: {@link LinkPort} over the {@link io.xts.link.XtsLink} itself (one-thread mode: the body is
 * written straight into the link's transmit frame, zero-copy) and {@link RingPort} over the {@code toLink} ring of
 * the two-thread mode (the body is written into a ring record the link agent copies into a frame).
 */
interface AppPort
{
    /**
     * Reserve a message and return where its body goes in {@link #memory()}; the caller writes the {@code length}
     * bytes there before the next call into this port.
     *
     * @param type     message type.
     * @param streamId socket id.
     * @param length   body length, at most {@link #maxMessageLength()}.
     * @return offset of the body in {@link #memory()}, or -1 when the port cannot take it now (link not up, full).
     */
    long claim(int type, int streamId, int length);

    /**
     * Shorten the message of the last successful {@link #claim} to the bytes actually written; 0 withdraws it. Call
     * before any other call into this port.
     *
     * @param length bytes of body written, at most the length claimed.
     */
    void trimClaim(int length);

    /**
     * @return the longest body worth claiming now without leaving a partly filled frame behind (the link's room in
     *         the frame being filled; 0 when none is).
     */
    int claimableInFrame();

    /**
     * @return the memory {@link #claim} offsets point into; always the same segment for a port.
     */
    MemorySegment memory();

    /**
     * @return the largest message body the link carries (meaningful while {@link #isUp()}).
     */
    int maxMessageLength();

    /**
     * @return whether messages claimed now go to the app host the session serves (the link is up, and it is the
     *         link incarnation the session heard of).
     */
    boolean isUp();

    /**
     * Reserve several DATA messages, one per frame, for one scattering read (see
     * {@link io.xts.link.XtsLink#claimBulk}); a port that cannot reserves none and the caller claims one at a time.
     *
     * @param type        message type.
     * @param streamId    socket id.
     * @param maxBytes    most body bytes wanted in all.
     * @param bodyOffsets filled with where each body goes in {@link #memory()}.
     * @param bodyLengths filled with the room of each body.
     * @return messages reserved, 0 for none.
     */
    default int claimBulk(
        final int type, final int streamId, final int maxBytes, final long[] bodyOffsets, final int[] bodyLengths)
    {
        return 0;
    }

    /**
     * Send what a {@link #claimBulk} reservation received, in order; unused room is given back.
     *
     * @param bytes body bytes written.
     */
    default void commitBulk(final int bytes)
    {
        throw new IllegalStateException("this port reserves nothing in bulk");
    }
}
