package io.xts.sockets;

import java.net.SocketException;

/**
 * The proxy refused an operation because its configuration does not allow it (a connect destination or a listen
 * port outside its allow-lists: EACCES or EPERM). A {@link SocketException}, so code that handles socket failures
 * in general handles this one too; its own type lets an application tell "not allowed" (a configuration matter, no
 * use retrying) from "failed" (maybe worth retrying).
 */
public final class XtsPolicyException extends SocketException
{
    private static final long serialVersionUID = 1L;

    /** The errno the proxy refused with. */
    private final int errno;

    /**
     * @param message what was refused, including the proxy's errno name.
     * @param errno   the errno the proxy refused with (EACCES or EPERM).
     */
    public XtsPolicyException(final String message, final int errno)
    {
        super(message);
        this.errno = errno;
    }

    /**
     * @return the errno the proxy refused with.
     */
    public int errno()
    {
        return errno;
    }
}
