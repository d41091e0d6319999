package io.xts.proxy.nvme;

/**
 * What the NVMe/TCP offload control needs of a TCP connection the app pushes the ULP onto, and no more: its state,
 * how far each stream has gone, the offload it carries, and where a RESYNC_RESPONSE goes. The proxy's TCP connection
 * implements it; the connection reads from TCP into the offload and sends what the offload makes of it.
 */
public interface OffloadSocket
{
    /** @return whether the TCP socket is gone (a RESET or a failed connect result is owed to the app). */
    boolean dead();

    /** @return whether the connection is established and the app was told (as opposed to connecting or closing). */
    boolean established();

    /** @return the connection's state, for the text of a refusal. */
    String stateName();

    /** @return bytes of the peer's stream read so far (forwarded to the app, or staged for it). */
    long bytesFromPeer();

    /** @return bytes of DATA received from the app so far. */
    long bytesFromApp();

    /** @return the offload the connection carries, or null. */
    NvmeQueueOffload offload();

    /**
     * The app's ULP_PUSH was accepted: from now on the peer's bytes go through the offload.
     *
     * @param offload the offload.
     */
    void offload(NvmeQueueOffload offload);

    /**
     * RESYNC_RESPONSE from the app.
     *
     * @param offset      the candidate's stream offset the app answers about.
     * @param headerThere whether the app's own parser has a PDU header there.
     */
    void onResyncResponse(long offset, boolean headerThere);
}
