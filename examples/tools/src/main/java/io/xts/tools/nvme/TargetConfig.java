package io.xts.tools.nvme;

import java.net.InetSocketAddress;

/**
 * Everything an {@link NvmeTargetServer} is told, checked where it enters.
 *
 * @param listen      address and port to listen on (port 0: any free port).
 * @param backend     where the blocks live.
 * @param size        bytes of namespace 1, a positive multiple of 512.
 * @param nqn         the subsystem NQN hosts must name in Connect.
 * @param maxC2hData  most DATA bytes per C2HData PDU: reads are split into PDUs of this size.
 * @param maxH2cData  MAXH2CDATA announced in ICResp: most DATA bytes per H2CData PDU.
 * @param r2tSize     bytes per R2T, 0 for one R2T covering the whole transfer.
 * @param inCapsule   in-capsule data limit of I/O queues (advertised as IOCCSZ), a multiple of 16.
 * @param successFlag whether reads end with SUCCESS on the last C2HData instead of a CapsuleResp.
 * @param fault       what to corrupt on purpose.
 * @param faultEvery  corrupt every Nth eligible PDU.
 */
public record TargetConfig(InetSocketAddress listen, Backend.Kind backend, long size, String nqn, int maxC2hData,
    int maxH2cData, int r2tSize, int inCapsule, boolean successFlag, Fault fault, int faultEvery)
{
    /** Default subsystem NQN. */
    public static final String DEFAULT_NQN = "nqn.2026-11.io.xts:target";
    /** Logical block size: LBADS 9. */
    public static final int BLOCK_SIZE = 512;
    /** Largest PDU data length this target handles in one piece. */
    public static final int MAX_PDU_DATA = 64 << 20;
    /** Largest in-capsule data limit. */
    public static final int MAX_IN_CAPSULE = 1 << 20;

    /** What the target corrupts on purpose, to test a host's error paths. */
    public enum Fault
    {
        /** Nothing. */
        NONE,
        /** The data digest of every Nth C2HData (when data digests are on). */
        DATA_DIGEST,
        /** Every Nth CapsuleResp, C2HData or R2T header: its HDGST when header digests are on, else its HLEN. */
        HEADER
    }

    /**
     * Check the values.
     */
    public TargetConfig
    {
        if (null == listen || null == backend || null == nqn || null == fault)
        {
            throw new IllegalArgumentException("listen, backend, nqn and fault are required");
        }
        if (size <= 0 || 0 != size % BLOCK_SIZE)
        {
            throw new IllegalArgumentException("--size must be a positive multiple of " + BLOCK_SIZE + ", got " + size);
        }
        if (nqn.isEmpty() || nqn.length() > 223)
        {
            throw new IllegalArgumentException("--nqn must be 1..223 characters");
        }
        for (int i = 0; i < nqn.length(); i++)
        {
            if (nqn.charAt(i) < 0x20 || nqn.charAt(i) > 0x7E)
            {
                throw new IllegalArgumentException("--nqn must be printable ASCII");
            }
        }
        if (maxC2hData < 4 || maxC2hData > MAX_PDU_DATA || 0 != maxC2hData % 4)
        {
            throw new IllegalArgumentException("--max-c2h-data must be a multiple of 4 in 4.." + MAX_PDU_DATA +
                ", got " + maxC2hData);
        }
        if (maxH2cData < 4096 || maxH2cData > MAX_PDU_DATA || 0 != maxH2cData % 4)
        {
            throw new IllegalArgumentException("--max-h2c-data must be a multiple of 4 in 4096.." + MAX_PDU_DATA +
                ", got " + maxH2cData);
        }
        if (r2tSize < 0 || 0 != r2tSize % 4 || (r2tSize > 0 && r2tSize < BLOCK_SIZE))
        {
            throw new IllegalArgumentException(
                "--r2t-size must be 0 or a multiple of 4 of at least 512, got " + r2tSize);
        }
        if (inCapsule < 0 || inCapsule > MAX_IN_CAPSULE || 0 != inCapsule % 16)
        {
            throw new IllegalArgumentException("--in-capsule must be a multiple of 16 in 0.." + MAX_IN_CAPSULE +
                ", got " + inCapsule);
        }
        if (faultEvery < 1)
        {
            throw new IllegalArgumentException("--fault-every must be at least 1, got " + faultEvery);
        }
    }

    /**
     * A configuration with the defaults of the command line.
     *
     * @param listen  address and port.
     * @param backend where the blocks live.
     * @param size    bytes of the namespace.
     * @return the configuration.
     */
    public static TargetConfig defaults(final InetSocketAddress listen, final Backend.Kind backend, final long size)
    {
        return new TargetConfig(listen, backend, size, DEFAULT_NQN, 128 << 10, 128 << 10, 0, 8 << 10, false,
            Fault.NONE, 1);
    }

    /** @return bytes of namespace 1 in blocks (NSZE). */
    public long blocks()
    {
        return size / BLOCK_SIZE;
    }

    /** @param v the new value. @return a copy with it. */
    public TargetConfig withNqn(final String v)
    {
        return new TargetConfig(listen, backend, size, v, maxC2hData, maxH2cData, r2tSize, inCapsule, successFlag,
            fault, faultEvery);
    }

    /** @param v the new value. @return a copy with it. */
    public TargetConfig withMaxC2hData(final int v)
    {
        return new TargetConfig(listen, backend, size, nqn, v, maxH2cData, r2tSize, inCapsule, successFlag, fault,
            faultEvery);
    }

    /** @param h2c MAXH2CDATA. @param r2t bytes per R2T. @return a copy with them. */
    public TargetConfig withR2t(final int h2c, final int r2t)
    {
        return new TargetConfig(listen, backend, size, nqn, maxC2hData, h2c, r2t, inCapsule, successFlag, fault,
            faultEvery);
    }

    /** @param v the new value. @return a copy with it. */
    public TargetConfig withInCapsule(final int v)
    {
        return new TargetConfig(listen, backend, size, nqn, maxC2hData, maxH2cData, r2tSize, v, successFlag, fault,
            faultEvery);
    }

    /** @param v the new value. @return a copy with it. */
    public TargetConfig withSuccessFlag(final boolean v)
    {
        return new TargetConfig(listen, backend, size, nqn, maxC2hData, maxH2cData, r2tSize, inCapsule, v, fault,
            faultEvery);
    }

    /** @param f the fault. @param every every Nth PDU. @return a copy with them. */
    public TargetConfig withFault(final Fault f, final int every)
    {
        return new TargetConfig(listen, backend, size, nqn, maxC2hData, maxH2cData, r2tSize, inCapsule, successFlag,
            f, every);
    }
}
