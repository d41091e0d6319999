package io.xts.sockets;

import java.lang.foreign.MemorySegment;

/**
 * Receives the NVMe/TCP offload messages the proxy sends for one {@link XtsSocket} (docs/PROTOCOL.md "NVMe/TCP
 * offload messages"). Called by whichever thread runs the stack's duty cycle, with the stack's lock held: an
 * implementation does the little that must happen in arrival order (placing bytes into registered buffers, noting
 * what happened) and hands the rest to its own thread; it must not block, nor call back into the socket's blocking
 * methods. Memory arguments are valid only during the call, except that {@link #onPlace} may keep the frame holding
 * its bytes with {@link XtsSocket#ulpRetainFrame()} and use them in place until {@link XtsSocket#ulpRelease}.
 */
public interface UlpListener
{
    /**
     * ULP_RESULT.
     *
     * @param errno        0 offloaded, else why not (the socket stays a plain socket).
     * @param state        {@link io.xts.protocol.UlpMessages#RESULT_IN_SYNC} or
     *                     {@link io.xts.protocol.UlpMessages#RESULT_SEARCHING}.
     * @param streamOffset the controller-to-host stream offset the result speaks of.
     */
    void onUlpResult(int errno, int state, long streamOffset);

    /**
     * PDU_HEADER: an NVMe/TCP header (CH + PSH, verified, digest removed).
     */
    void onPduHeader(int status, MemorySegment memory, long offset, int length);

    /**
     * DDP_PLACE: a piece of a C2HData PDU's data for command {@code cid} at {@code dataOffset} of its data.
     */
    void onPlace(int cid, int flags, long dataOffset, MemorySegment memory, long offset, int length);

    /**
     * DDP_TEARDOWN from the proxy: a registration was refused or ended by a stream error.
     */
    void onDdpTeardown(int cid, int reason);

    /**
     * RESYNC_REQUEST: the proxy found a candidate PDU header at this stream offset.
     */
    void onResyncRequest(long streamOffset);

    /**
     * DATA arrived for the socket (the listener's thread may want to read it); no bytes are passed.
     */
    void onDataArrived();

    /**
     * The socket failed (reset, error, link down) or was closed: wake whoever waits.
     */
    void onSocketFailed();
}
