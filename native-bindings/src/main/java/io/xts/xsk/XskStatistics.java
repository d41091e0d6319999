package io.xts.xsk;

/**
 * The kernel's statistics of one AF_XDP socket ({@code struct xdp_statistics}), filled in place by
 * {@link XskSocket#statistics(XskStatistics)} so that reading them allocates nothing.
 */
public final class XskStatistics
{
    /** Frames dropped for reasons other than a full RX ring or an empty fill ring. */
    public long rxDropped;
    /** RX descriptors the kernel found invalid. */
    public long rxInvalidDescs;
    /** TX descriptors the kernel found invalid. */
    public long txInvalidDescs;
    /** Frames dropped because the RX ring was full. */
    public long rxRingFull;
    /** Times the fill ring was empty when a frame arrived. */
    public long rxFillRingEmptyDescs;
    /** Times the TX ring was empty when the kernel looked. */
    public long txRingEmptyDescs;

    /**
     * @return frames the kernel lost on the receive side.
     */
    public long rxLost()
    {
        return rxDropped + rxRingFull;
    }

    @Override
    public String toString()
    {
        return "rx_dropped=" + rxDropped + " rx_invalid_descs=" + rxInvalidDescs +
            " tx_invalid_descs=" + txInvalidDescs + " rx_ring_full=" + rxRingFull +
            " rx_fill_ring_empty_descs=" + rxFillRingEmptyDescs + " tx_ring_empty_descs=" + txRingEmptyDescs;
    }
}
