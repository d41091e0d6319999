package io.xts.xsk;

import io.xts.bindings.libc.libc_h;

/**
 * A native call of the AF_XDP driver failed. The message names the call, the interface and queue, the errno and
 * its text, and what to check, so that a failure on a new machine can be fixed without reading the code.
 */
public final class XskException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * @param call      the C function that failed.
     * @param where     interface and queue, or other context ("xa-1 queue 0").
     * @param errno     the positive errno (libxdp's -errno returns are normalised).
     */
    public XskException(final String call, final String where, final int errno)
    {
        super(call + " failed on " + where + ": " + describe(errno) + hint(call, errno));
        this.call = call;
        this.errno = Math.abs(errno);
    }

    /**
     * @param call    the C function or step that failed.
     * @param where   context.
     * @param message what went wrong, when there is no errno.
     */
    public XskException(final String call, final String where, final String message)
    {
        super(call + " failed on " + where + ": " + message);
        this.call = call;
        this.errno = 0;
    }

    /**
     * @return the C function that failed.
     */
    public String call()
    {
        return call;
    }

    /**
     * @return the positive errno, 0 when none.
     */
    public int errno()
    {
        return errno;
    }

    /**
     * @param errno an errno of either sign.
     * @return "EBUSY (Device or resource busy)"-style text.
     */
    static String describe(final int errno)
    {
        final int e = Math.abs(errno);
        return errnoName(e) + " (" + libc_h.strerrorText(e) + ")";
    }

    static String errnoName(final int e)
    {
        return switch (e)
        {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 6 -> "ENXIO";
            case 11 -> "EAGAIN";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 16 -> "EBUSY";
            case 19 -> "ENODEV";
            case 22 -> "EINVAL";
            case 95 -> "EOPNOTSUPP";
            case 100 -> "ENETDOWN";
            case 105 -> "ENOBUFS";
            default -> "errno " + e;
        };
    }

    static String hint(final String call, final int errno)
    {
        return switch (Math.abs(errno))
        {
            case 1, 13 -> "; AF_XDP and XDP need root or the capabilities CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF " +
                "(CAP_SYS_ADMIN on older kernels); run as root or grant them to the java binary";
            case 16 -> "; the queue is still bound by another AF_XDP socket or a program is already attached " +
                "(socket teardown is asynchronous: retry after a moment)";
            case 12 -> "; check the locked-memory limit (ulimit -l) and the UMEM size";
            case 19, 6 -> "; no such interface or queue in this network namespace (ip link shows the interfaces)";
            case 22 -> call.startsWith("xsk_umem") ?
                "; the UMEM must be page aligned, its size a multiple of the frame size, the frame size 2048..4096 " +
                "and the ring sizes powers of two" :
                "; check ring sizes (powers of two), the queue id, the MTU against the frame size, and that " +
                "XDP_USE_SG has a kernel >= 6.6 and a frags-aware program";
            case 95 -> "; the driver does not support this mode (zero-copy or native XDP): use copy mode or " +
                "generic (skb) attach";
            default -> "";
        };
    }
}
