package io.xts.proxy;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;

import static io.xts.protocol.SocketMessages.EACCES;
import static io.xts.protocol.SocketMessages.EADDRINUSE;
import static io.xts.protocol.SocketMessages.EADDRNOTAVAIL;
import static io.xts.protocol.SocketMessages.EAFNOSUPPORT;
import static io.xts.protocol.SocketMessages.ECONNREFUSED;
import static io.xts.protocol.SocketMessages.ECONNRESET;
import static io.xts.protocol.SocketMessages.EHOSTUNREACH;
import static io.xts.protocol.SocketMessages.EINVAL;
import static io.xts.protocol.SocketMessages.ENETUNREACH;
import static io.xts.protocol.SocketMessages.EPERM;
import static io.xts.protocol.SocketMessages.EPIPE;
import static io.xts.protocol.SocketMessages.ETIMEDOUT;

/**
 * Turns what Java reports about a kernel socket failure back into the Linux errno the kernel gave (the protocol
 * carries errnos, so the app host sees what a local socket would have told it). Java keeps the errno only in the
 * exception's type and in the message, which is the C library's {@code strerror} text; the types decide where they
 * are specific ({@link ConnectException}, {@link NoRouteToHostException}), the message otherwise. Control and error
 * paths only: the exception was already allocated by the JDK.
 */
public final class Errno
{
    private Errno()
    {
    }

    /**
     * @param ex       what a socket operation threw.
     * @param fallback the errno when nothing in the exception says more (e.g. ECONNRESET on a stream).
     * @return the Linux errno.
     */
    public static int of(final Throwable ex, final int fallback)
    {
        final String message = null == ex.getMessage() ? "" : ex.getMessage();
        // Messages first: a ConnectException also says "Connection timed out" or "Network is unreachable".
        final int byMessage = ofMessage(message);
        if (0 != byMessage)
        {
            return byMessage;
        }
        if (ex instanceof NoRouteToHostException)
        {
            return EHOSTUNREACH;
        }
        if (ex instanceof ConnectException)
        {
            return ECONNREFUSED;
        }
        if (ex instanceof BindException)
        {
            return EADDRINUSE;
        }
        if (ex instanceof UnsupportedAddressTypeException)
        {
            return EAFNOSUPPORT;
        }
        if (ex instanceof UnresolvedAddressException)
        {
            return EINVAL;
        }
        return fallback;
    }

    private static int ofMessage(final String message)
    {
        if (message.contains("Connection refused"))
        {
            return ECONNREFUSED;
        }
        if (message.contains("Connection reset"))
        {
            return ECONNRESET;
        }
        if (message.contains("Broken pipe"))
        {
            return EPIPE;
        }
        if (message.contains("No route to host") || message.contains("Host is unreachable"))
        {
            return EHOSTUNREACH;
        }
        if (message.contains("Network is unreachable") || message.contains("Network unreachable"))
        {
            return ENETUNREACH;
        }
        if (message.contains("timed out"))
        {
            return ETIMEDOUT;
        }
        if (message.contains("Address already in use"))
        {
            return EADDRINUSE;
        }
        if (message.contains("Cannot assign requested address"))
        {
            return EADDRNOTAVAIL;
        }
        if (message.contains("Permission denied"))
        {
            return EACCES;
        }
        if (message.contains("Operation not permitted"))
        {
            return EPERM;
        }
        if (message.contains("Address family not supported") || message.contains("Protocol family unavailable"))
        {
            return EAFNOSUPPORT;
        }
        if (message.contains("Invalid argument"))
        {
            return EINVAL;
        }
        return 0;
    }

    /**
     * @param ex an I/O failure on an established stream.
     * @return its errno, ECONNRESET when it does not say.
     */
    public static int ofStream(final IOException ex)
    {
        return of(ex, ECONNRESET);
    }
}
