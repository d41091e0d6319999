package io.xts.proxy.nvme;

import io.xts.proxy.ProxyCounters;

import java.lang.foreign.MemorySegment;

/**
 * What the NVMe/TCP offload of a socket needs of the link session it belongs to, and no more: room on the link toward
 * the app for its messages (PDU_HEADER, DDP_PLACE, DATA, RESYNC_REQUEST, ULP_RESULT, DDP_TEARDOWN), the memory those
 * claims point into, and the proxy's counters. The session implements it over its port to the app (the link itself in
 * the one-thread mode, the only mode that accepts ULP_PUSH). One thread uses it.
 */
public interface OffloadPort
{
    /**
     * Reserve a message and return where its body goes in {@link #memory()}; the caller writes the {@code length}
     * bytes there before the next call into this port.
     *
     * @param type     message type.
     * @param streamId socket id.
     * @param length   body length, at most {@link #maxMessageLength()}.
     * @return offset of the body in {@link #memory()}, or -1 when the link cannot take it now.
     */
    long claim(int type, int streamId, int length);

    /**
     * Shorten the message of the last successful {@link #claim} to the bytes actually written; 0 withdraws it.
     *
     * @param length bytes of body written, at most the length claimed.
     */
    void trimClaim(int length);

    /**
     * @return the longest body worth claiming now without leaving a partly filled frame behind (0 when none is).
     */
    int claimableInFrame();

    /**
     * @return the largest message body the link carries.
     */
    int maxMessageLength();

    /**
     * @return the memory {@link #claim} offsets point into; always the same segment.
     */
    MemorySegment memory();

    /**
     * @return where the offload counts its work.
     */
    ProxyCounters counters();
}
