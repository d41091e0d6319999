package io.xts.sockets;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

import static io.xts.protocol.SocketMessages.EACCES;
import static io.xts.protocol.SocketMessages.EADDRINUSE;
import static io.xts.protocol.SocketMessages.EADDRNOTAVAIL;
import static io.xts.protocol.SocketMessages.ECONNABORTED;
import static io.xts.protocol.SocketMessages.ECONNREFUSED;
import static io.xts.protocol.SocketMessages.ECONNRESET;
import static io.xts.protocol.SocketMessages.EHOSTUNREACH;
import static io.xts.protocol.SocketMessages.EMFILE;
import static io.xts.protocol.SocketMessages.ENETUNREACH;
import static io.xts.protocol.SocketMessages.ENOBUFS;
import static io.xts.protocol.SocketMessages.EPERM;
import static io.xts.protocol.SocketMessages.EPIPE;
import static io.xts.protocol.SocketMessages.ETIMEDOUT;
import static io.xts.protocol.SocketMessages.describe;

/**
 * The one place where an errno the proxy reports becomes the java.net exception a Java programmer expects from a
 * socket (ConnectException for a refused connect, NoRouteToHostException, BindException, SocketTimeoutException,
 * SocketException "Connection reset" ...), each message naming the proxy's errno so that a log line says what the
 * kernel on the proxy said. Exceptions are made fresh at the moment they are thrown, never stored, so that every
 * stack trace shows the caller that met the failure.
 */
final class SocketErrors
{
    private SocketErrors()
    {
    }

    /**
     * @param errno a Linux errno.
     * @return "ECONNREFUSED (Connection refused) from proxy".
     */
    static String fromProxy(final int errno)
    {
        return describe(errno) + " from proxy";
    }

    /**
     * @param errno  the CONNECT_RESULT errno.
     * @param remote where the connect went.
     * @return the exception java.net.Socket#connect would throw for it.
     */
    static IOException connectFailed(final int errno, final InetSocketAddress remote)
    {
        final String detail = remote + " (" + fromProxy(errno) + ")";
        return switch (errno)
        {
            case ECONNREFUSED -> new ConnectException("Connection refused: connect to " + detail);
            case ETIMEDOUT -> new SocketTimeoutException("Connect timed out: connect to " + detail);
            case EHOSTUNREACH -> new NoRouteToHostException("No route to host: connect to " + detail);
            case ENETUNREACH -> new ConnectException("Network is unreachable: connect to " + detail);
            default -> common(errno, "connect to " + remote);
        };
    }

    /**
     * @param errno the LISTEN_RESULT errno.
     * @param local the address to bind.
     * @return the exception java.net.ServerSocket#bind would throw for it.
     */
    static IOException listenFailed(final int errno, final InetSocketAddress local)
    {
        final String detail = local + " (" + fromProxy(errno) + ")";
        return switch (errno)
        {
            case EADDRINUSE -> new BindException("Address already in use: bind to " + detail);
            case EADDRNOTAVAIL -> new BindException("Cannot assign requested address: bind to " + detail);
            default -> common(errno, "listen on " + local);
        };
    }

    /**
     * @param errno     why an established connection (or an operation on it) failed.
     * @param operation what failed, e.g. "socket 7 to /198.18.0.2:80".
     * @return the exception for it.
     */
    static SocketException common(final int errno, final String operation)
    {
        final String detail = operation + " (" + fromProxy(errno) + ")";
        return switch (errno)
        {
            case EACCES, EPERM -> new XtsPolicyException("refused by the proxy's allow-list: " + detail, errno);
            case EMFILE -> new SocketException("the proxy's per-link limit on sockets is reached: " + detail);
            case ENOBUFS -> new SocketException("the proxy's per-link limit on bytes in flight is reached: " + detail);
            case ECONNRESET -> new SocketException("Connection reset: " + detail);
            case ECONNABORTED -> new SocketException("Connection aborted: " + detail);
            case EPIPE -> new SocketException("Broken pipe: " + detail);
            case ETIMEDOUT -> new SocketException("Connection timed out: " + detail);
            default -> new SocketException(operation + " failed: " + fromProxy(errno));
        };
    }

    /**
     * @param reason what the link said ("peer dead: no frame for 612 ms (timeout 500 ms)").
     * @return the exception every call on a socket of a failed link throws.
     */
    static SocketException linkDown(final String reason)
    {
        return new SocketException("XTS link down: " + reason);
    }
}
