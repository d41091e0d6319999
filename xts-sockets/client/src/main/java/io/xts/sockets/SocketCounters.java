package io.xts.sockets;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The counters of one {@link XtsStack}, in the same Agrona {@link CountersManager} as its link's counters (so a
 * counters file shows both and {@code xts stat} reads them live): sockets opened, accepted and closed, bytes each
 * way, credit updates, stalls, and every anomaly the library tolerates instead of throwing (DATA past the credit,
 * malformed bodies, messages for ids it does not know, accepts beyond the backlog, ERRORs from the proxy).
 */
public final class SocketCounters implements AutoCloseable
{
    /** Counter type id of socket-library counters (link counters are 1001). */
    public static final int TYPE_ID = 1101;

    final AtomicCounter connects;
    final AtomicCounter connectFailures;
    final AtomicCounter accepted;
    final AtomicCounter acceptOverflows;
    final AtomicCounter closed;
    final AtomicCounter bytesWritten;
    final AtomicCounter bytesRead;
    final AtomicCounter creditsSent;
    final AtomicCounter sendCreditStalls;
    final AtomicCounter linkStalls;
    final AtomicCounter protocolErrors;
    final AtomicCounter unknownIds;
    final AtomicCounter proxyErrors;
    final AtomicCounter resetsReceived;

    /**
     * @param counters where to allocate.
     * @param name     the stack's name, part of every label.
     */
    public SocketCounters(final CountersManager counters, final String name)
    {
        connects = counters.newCounter("sockets " + name + " connects", TYPE_ID);
        connectFailures = counters.newCounter("sockets " + name + " connect-failures", TYPE_ID);
        accepted = counters.newCounter("sockets " + name + " accepted", TYPE_ID);
        acceptOverflows = counters.newCounter("sockets " + name + " accept-backlog-overflows", TYPE_ID);
        closed = counters.newCounter("sockets " + name + " closed", TYPE_ID);
        bytesWritten = counters.newCounter("sockets " + name + " bytes-written", TYPE_ID);
        bytesRead = counters.newCounter("sockets " + name + " bytes-read", TYPE_ID);
        creditsSent = counters.newCounter("sockets " + name + " credits-sent", TYPE_ID);
        sendCreditStalls = counters.newCounter("sockets " + name + " send-credit-stalls", TYPE_ID);
        linkStalls = counters.newCounter("sockets " + name + " link-stalls", TYPE_ID);
        protocolErrors = counters.newCounter("sockets " + name + " protocol-errors", TYPE_ID);
        unknownIds = counters.newCounter("sockets " + name + " messages-for-unknown-ids", TYPE_ID);
        proxyErrors = counters.newCounter("sockets " + name + " proxy-errors", TYPE_ID);
        resetsReceived = counters.newCounter("sockets " + name + " resets-received", TYPE_ID);
    }

    /** @return connects attempted. */
    public long connects()
    {
        return connects.get();
    }

    /** @return connects that failed (errno, timeout or link down). */
    public long connectFailures()
    {
        return connectFailures.get();
    }

    /** @return connections accepted from the proxy and queued on a server socket. */
    public long accepted()
    {
        return accepted.get();
    }

    /** @return ACCEPTED connections reset because the server socket's backlog was full (or it was gone). */
    public long acceptOverflows()
    {
        return acceptOverflows.get();
    }

    /** @return sockets closed by the app. */
    public long closed()
    {
        return closed.get();
    }

    /** @return bytes the app wrote. */
    public long bytesWritten()
    {
        return bytesWritten.get();
    }

    /** @return bytes the app read. */
    public long bytesRead()
    {
        return bytesRead.get();
    }

    /** @return CREDIT messages sent to the proxy. */
    public long creditsSent()
    {
        return creditsSent.get();
    }

    /** @return times a write found the socket's send window closed. */
    public long sendCreditStalls()
    {
        return sendCreditStalls.get();
    }

    /** @return times a message could not be queued on the link (no frame credit or TX frame). */
    public long linkStalls()
    {
        return linkStalls.get();
    }

    /** @return protocol violations by the proxy (DATA past the credit, malformed bodies). */
    public long protocolErrors()
    {
        return protocolErrors.get();
    }

    /** @return messages naming a socket id this stack does not know (e.g. DATA in flight when it was closed). */
    public long unknownIds()
    {
        return unknownIds.get();
    }

    /** @return ERROR messages from the proxy. */
    public long proxyErrors()
    {
        return proxyErrors.get();
    }

    /** @return RESETs from the proxy. */
    public long resetsReceived()
    {
        return resetsReceived.get();
    }

    @Override
    public void close()
    {
        connects.close();
        connectFailures.close();
        accepted.close();
        acceptOverflows.close();
        closed.close();
        bytesWritten.close();
        bytesRead.close();
        creditsSent.close();
        sendCreditStalls.close();
        linkStalls.close();
        protocolErrors.close();
        unknownIds.close();
        proxyErrors.close();
        resetsReceived.close();
    }
}
