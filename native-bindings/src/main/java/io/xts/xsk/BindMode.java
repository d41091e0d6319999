package io.xts.xsk;

/**
 * How an AF_XDP socket moves frames between the NIC and the UMEM.
 */
public enum BindMode
{
    /** The kernel copies frames (XDP_COPY); works on every interface, veth included. */
    COPY,
    /** The NIC DMAs straight into the UMEM (XDP_ZEROCOPY); fails where the driver cannot. */
    ZERO_COPY,
    /** Try zero-copy, fall back to copy; {@link XskSocket#zeroCopy()} says which was chosen. */
    AUTO
}
