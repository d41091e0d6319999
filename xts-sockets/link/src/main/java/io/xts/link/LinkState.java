package io.xts.link;

/**
 * Where an XTS link end is in its life.
 */
public enum LinkState
{
    /** Sending HELLO, waiting for the peer to have heard us. */
    CONNECTING,
    /** Handshake done: DATA flows. */
    UP,
    /** Refused for good (no common version); needs a new link. */
    FAILED,
    /** Closed by its owner. */
    CLOSED
}
