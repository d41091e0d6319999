package io.xts.proxy;

import java.nio.channels.SelectionKey;

/**
 * What the proxy's socket table holds for one socket id of one link: a TCP connection ({@link TcpConnection}) or a
 * listener ({@link TcpListener}). Each owns one kernel socket registered in the agent's selector, with itself as the
 * key's attachment, so readiness goes straight to it; each lives on the agent thread only.
 */
abstract sealed class ProxySocket permits TcpConnection, TcpListener
{
    /** The link's session that owns this socket. */
    final LinkSession session;
    /** The socket id, scoped to the link. */
    final int id;

    ProxySocket(final LinkSession session, final int id)
    {
        this.session = session;
        this.id = id;
    }

    /**
     * The selector found the kernel socket ready.
     *
     * @param key its key, with the ready operations.
     */
    abstract void onReady(SelectionKey key);

    /**
     * @return false once the app has let go of the id (CLOSE) while the proxy still finishes the socket: messages
     *         naming the id are then answered as for an unknown id.
     */
    abstract boolean visibleToApp();

    /**
     * Release the kernel socket at once, with an RST where a connection is open (the link is gone, or the app asked
     * for it), and any memory held. Sends nothing on the link.
     */
    abstract void abort();
}
