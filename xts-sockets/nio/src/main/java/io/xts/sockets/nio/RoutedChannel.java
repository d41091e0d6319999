package io.xts.sockets.nio;

import java.nio.channels.SelectableChannel;

/**
 * What {@link XtsNioSelector} needs of a channel of this provider: which carrier it chose, the XTS endpoint or the
 * JDK channel behind it, the readiness only the channel knows (a finished XTS connect, input shut down here), and
 * the keys to re-attach when it chooses its carrier after it was registered.
 */
interface RoutedChannel
{
    /** Whose TCP carries a channel; chosen at connect or bind. */
    enum Carrier
    {
        /** Not yet known: no connect or bind yet. */
        UNDECIDED,
        /** The proxy, through the XTS stack. */
        XTS,
        /** The JDK's own provider (loopback, bypass networks). */
        JDK
    }

    Carrier carrier();

    /**
     * @return the XtsSocket or XtsServerSocket, once the carrier is XTS.
     */
    Object xtsEndpoint();

    /**
     * @return the JDK channel, once the carrier is JDK.
     */
    SelectableChannel jdkChannel();

    /**
     * @param interest the key's interest set.
     * @return ready operations the XTS selector cannot see (OP_CONNECT after a background connect ended, OP_READ
     *         after shutdownInput).
     */
    int syntheticReady(int interest);

    /**
     * @return whether {@link #syntheticReady} may become non-zero (connect pending or input shut down).
     */
    boolean mayBeSynthetic();

    /**
     * @param ready what the XTS selector found.
     * @return what of it the channel may report now (nothing but OP_CONNECT before finishConnect).
     */
    int maskXtsReady(int ready);

    void addKey(XtsNioSelectionKey key);

    void removeKey(XtsNioSelectionKey key);
}
