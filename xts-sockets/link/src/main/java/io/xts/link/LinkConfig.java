package io.xts.link;

/**
 * Settings of one XTS link end, validated where they enter. Times are nanoseconds of {@link System#nanoTime()}.
 *
 * @param minVersion         lowest protocol version this end speaks.
 * @param maxVersion         highest protocol version this end speaks.
 * @param heartbeatIntervalNs send something at least this often; also the HELLO repeat interval.
 * @param deadTimeoutNs      declare the peer dead after this long without a frame (at most 1 s by default).
 * @param retransmitTimeoutNs first retransmission timeout; doubles while no progress, up to 32 times this.
 * @param creditReserve      receive buffers kept out of the credit grant, to absorb retransmitted duplicates.
 * @param srcMac             our MAC address.
 * @param dstMac             the peer's MAC address (or broadcast).
 * @param key                the pre-shared key that authenticates HELLO and RESET, or null for none.
 */
public record LinkConfig(
    int minVersion, int maxVersion, long heartbeatIntervalNs, long deadTimeoutNs, long retransmitTimeoutNs,
    int creditReserve, long srcMac, long dstMac, LinkKey key)
{
    /** The version this code speaks. */
    public static final int VERSION = 1;

    /** Validates where the values enter. */
    public LinkConfig
    {
        if (minVersion < 1 || maxVersion < minVersion || maxVersion > 0xFFFF)
        {
            throw new IllegalArgumentException("version range must be 1 <= min <= max <= 65535, got " +
                minVersion + ".." + maxVersion);
        }
        if (heartbeatIntervalNs <= 0 || deadTimeoutNs <= heartbeatIntervalNs)
        {
            throw new IllegalArgumentException("dead timeout (" + deadTimeoutNs + " ns) must exceed the heartbeat " +
                "interval (" + heartbeatIntervalNs + " ns), which must be positive");
        }
        if (retransmitTimeoutNs <= 0)
        {
            throw new IllegalArgumentException("retransmit timeout must be positive, got " + retransmitTimeoutNs);
        }
        if (creditReserve < 0)
        {
            throw new IllegalArgumentException("credit reserve must be >= 0, got " + creditReserve);
        }
    }

    /**
     * @return version 1, heartbeat 100 ms, dead after 500 ms, retransmission timeout at least 10 ms (gap reports
     *         recover most losses at once; the timeout covers a lost tail, and a short one fires spuriously whenever
     *         the peer is off-CPU for a moment), reserve 8 buffers, broadcast, no key.
     */
    public static LinkConfig defaults()
    {
        return new LinkConfig(VERSION, VERSION, 100_000_000L, 500_000_000L, 10_000_000L, 8,
            0x02_00_00_00_00_01L, 0xFF_FF_FF_FF_FF_FFL, null);
    }

    /**
     * @param min lowest version.
     * @param max highest version.
     * @return this configuration with another version range.
     */
    public LinkConfig versions(final int min, final int max)
    {
        return new LinkConfig(min, max, heartbeatIntervalNs, deadTimeoutNs, retransmitTimeoutNs, creditReserve,
            srcMac, dstMac, key);
    }

    /**
     * @param heartbeatNs heartbeat interval.
     * @param deadNs      dead-peer timeout.
     * @return this configuration with other liveness times.
     */
    public LinkConfig liveness(final long heartbeatNs, final long deadNs)
    {
        return new LinkConfig(minVersion, maxVersion, heartbeatNs, deadNs, retransmitTimeoutNs, creditReserve,
            srcMac, dstMac, key);
    }

    /**
     * @param src our MAC.
     * @param dst the peer's MAC.
     * @return this configuration with other addresses.
     */
    public LinkConfig macs(final long src, final long dst)
    {
        return new LinkConfig(minVersion, maxVersion, heartbeatIntervalNs, deadTimeoutNs, retransmitTimeoutNs,
            creditReserve, src, dst, key);
    }

    /**
     * @param linkKey the pre-shared key, or null for none.
     * @return this configuration with HELLO and RESET authenticated by that key.
     */
    public LinkConfig withKey(final LinkKey linkKey)
    {
        return new LinkConfig(minVersion, maxVersion, heartbeatIntervalNs, deadTimeoutNs, retransmitTimeoutNs,
            creditReserve, srcMac, dstMac, linkKey);
    }
}
