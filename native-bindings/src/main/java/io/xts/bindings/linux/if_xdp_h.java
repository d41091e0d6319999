package io.xts.bindings.linux;

/**
 * Constants of {@code <linux/if_xdp.h>}, {@code <linux/if_link.h>}, {@code <linux/bpf.h>} and {@code <bits/socket.h>}
 * that the AF_XDP
 * driver uses, in the shape jextract gives macros. The Debian 12 headers predate multi-buffer AF_XDP, so
 * {@code XDP_USE_SG} and {@code XDP_PKT_CONTD} are stated here from the kernel's UAPI (6.6 and later).
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName"})
public final class if_xdp_h
{
    private if_xdp_h()
    {
    }

    /** Socket option level of AF_XDP. */
    public static final int SOL_XDP = 283;
    /** Address family of AF_XDP sockets. */
    public static final int AF_XDP = 44;

    /** getsockopt: ring offsets. */
    public static final int XDP_MMAP_OFFSETS = 1;
    /** getsockopt: struct xdp_statistics. */
    public static final int XDP_STATISTICS = 7;
    /** getsockopt: struct xdp_options. */
    public static final int XDP_OPTIONS = 8;

    /** bind flag: share a UMEM with another socket. */
    public static final int XDP_SHARED_UMEM = 1;
    /** bind flag: force copy mode. */
    public static final int XDP_COPY = 1 << 1;
    /** bind flag: force zero-copy mode. */
    public static final int XDP_ZEROCOPY = 1 << 2;
    /** bind flag: the kernel asks for wakeups through the ring flags. */
    public static final int XDP_USE_NEED_WAKEUP = 1 << 3;
    /** bind flag: multi-buffer (scatter-gather) packets; kernel 6.6 and later. */
    public static final int XDP_USE_SG = 1 << 4;

    /** ring flag: the kernel needs a syscall to make progress on this ring. */
    public static final int XDP_RING_NEED_WAKEUP = 1;

    /** xdp_options.flags: the socket runs in zero-copy mode. */
    public static final int XDP_OPTIONS_ZEROCOPY = 1;

    /** xdp_desc.options: more fragments of this packet follow. */
    public static final int XDP_PKT_CONTD = 1;

    /** Headroom the kernel reserves in front of packet data in each UMEM frame. */
    public static final int XDP_PACKET_HEADROOM = 256;

    /** if_link: attach flag, fail if a program is attached. */
    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    /** if_link: generic (SKB) mode. */
    public static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    /** if_link: native (driver) mode. */
    public static final int XDP_FLAGS_DRV_MODE = 1 << 2;
}
