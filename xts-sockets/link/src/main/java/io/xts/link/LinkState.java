package io.xts.link;

/**
 * Where an XTS link end is in its life. Nothing from the wire ends a link for good: a refused handshake leaves it
 * connecting (the refusal is its failure text), a lost peer brings it back to connecting; only its owner closes it.
 */
public enum LinkState
{
    /** Sending HELLO, waiting for the peer to have heard us. */
    CONNECTING,
    /** Handshake done: DATA flows. */
    UP,
    /** Closed by its owner. */
    CLOSED
}
