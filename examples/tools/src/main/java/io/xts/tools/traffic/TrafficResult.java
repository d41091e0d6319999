package io.xts.tools.traffic;

import io.xts.xsk.XskStatistics;

import java.util.Locale;

/**
 * What one run of a {@link FrameGenerator} or {@link FrameSink} did, printed in the one-line form the benchmark
 * scripts parse ({@code xsk-bench role=rx impl=java ...}), the same form as the C reference program's.
 *
 * @param role          "tx" or "rx".
 * @param size          frame length in bytes.
 * @param frames        frames sent or received.
 * @param nanos         time from the first to the last frame.
 * @param seqErrors     frames whose sequence number was not the next one expected.
 * @param payloadErrors frames whose payload did not match the pattern (when checked).
 * @param kicks         TX kicks (sendto) or RX wakeups made.
 * @param allocatedBytes heap bytes the hot loop allocated in steady state, after the first 65536 frames (thread
 *                      allocation counter); -1 when unknown or the run was shorter.
 * @param stats         the kernel's socket statistics at the end.
 */
public record TrafficResult(
    String role, int size, long frames, long nanos, long seqErrors, long payloadErrors, long kicks,
    long allocatedBytes, XskStatistics stats)
{
    /**
     * @return seconds from the first frame to the last.
     */
    public double seconds()
    {
        return nanos / 1e9;
    }

    /**
     * @return millions of frames per second.
     */
    public double mpps()
    {
        return nanos > 0 ? frames * 1e3 / nanos : 0.0;
    }

    /**
     * @return Gbit/s of frame bytes (no FCS, preamble or gap).
     */
    public double gbps()
    {
        return nanos > 0 ? frames * (double)size * 8.0 / nanos : 0.0;
    }

    /**
     * @return the one-line summary.
     */
    public String line()
    {
        return String.format(Locale.ROOT,
            "xsk-bench role=%s impl=java size=%d frames=%d seconds=%.6g mpps=%.6g gbps=%.6g seq_errors=%d " +
            "payload_errors=%d rx_dropped=%d rx_invalid_descs=%d tx_invalid_descs=%d rx_ring_full=%d " +
            "rx_fill_ring_empty_descs=%d tx_ring_empty_descs=%d kicks=%d alloc_bytes=%d",
            role, size, frames, seconds(), mpps(), gbps(), seqErrors, payloadErrors, stats.rxDropped,
            stats.rxInvalidDescs, stats.txInvalidDescs, stats.rxRingFull, stats.rxFillRingEmptyDescs,
            stats.txRingEmptyDescs, kicks, allocatedBytes);
    }
}
