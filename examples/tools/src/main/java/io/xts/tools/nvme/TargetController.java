package io.xts.tools.nvme;

import java.util.BitSet;

import static io.xts.nvme.NvmeTcp.PROP_CAP;
import static io.xts.nvme.NvmeTcp.PROP_CC;
import static io.xts.nvme.NvmeTcp.PROP_CSTS;
import static io.xts.nvme.NvmeTcp.PROP_VS;

/**
 * One dynamic controller: created by an admin-queue Connect, found by its CNTLID by the I/O-queue Connects, gone when
 * its admin connection ends. Holds the registers a host reads and writes through Property Get/Set, and the
 * features the admin queue sets. Its admin connection and its I/O connections call it from their threads, hence the
 * synchronisation (none of it is on the data path).
 */
final class TargetController
{
    /** Entries per queue the controller supports (CAP.MQES + 1). */
    static final int QUEUE_ENTRIES = 1024;
    /** I/O queues granted at most (Set Features Number of Queues). */
    static final int MAX_IO_QUEUES = 64;
    /** VS: NVMe 1.3.0, as the Linux target reports. */
    static final int VERSION = 0x0001_0300;
    /**
     * CAP: MQES (0's based), CQR (contiguous queues required), TO = 15 (7.5 s), CSS bit 37 (NVM command set),
     * MPSMIN = MPSMAX = 0 (4 KiB pages).
     */
    static final long CAP = (QUEUE_ENTRIES - 1) | 1L << 16 | 15L << 24 | 1L << 37;

    private final int cntlid;
    private final String hostNqn;
    private final long kato;
    private final BitSet ioQueues = new BitSet();
    private int cc;
    private int csts;
    private int queuesGranted = (MAX_IO_QUEUES - 1) | (MAX_IO_QUEUES - 1) << 16;
    private long katoSet;

    TargetController(final int cntlid, final String hostNqn, final long kato)
    {
        this.cntlid = cntlid;
        this.hostNqn = hostNqn;
        this.kato = kato;
        this.katoSet = kato;
    }

    int cntlid()
    {
        return cntlid;
    }

    String hostNqn()
    {
        return hostNqn;
    }

    /**
     * @param offset a property offset.
     * @param eight  whether 8 bytes were asked for.
     * @return the value, or {@code null} when the property or size is not supported.
     */
    synchronized Long propertyGet(final long offset, final boolean eight)
    {
        if (PROP_CAP == offset)
        {
            return eight ? CAP : CAP & 0xFFFF_FFFFL;
        }
        if (eight)
        {
            return null;
        }
        if (PROP_VS == offset)
        {
            return (long)VERSION;
        }
        if (PROP_CC == offset)
        {
            return cc & 0xFFFF_FFFFL;
        }
        if (PROP_CSTS == offset)
        {
            return csts & 0xFFFF_FFFFL;
        }
        return null;
    }

    /**
     * Property Set: only CC, 4 bytes. EN 0 to 1 sets CSTS.RDY when the entry sizes (IOSQES 6, IOCQES 4), page size
     * (MPS 0), arbitration (AMS 0) and command set (CSS 0 or 6) are ours, else CSTS.CFS; EN 1 to 0 clears RDY;
     * a shutdown request (SHN) completes at once (SHST 10b).
     *
     * @param offset the property.
     * @param eight  whether 8 bytes.
     * @param value  the value.
     * @return whether the property was set.
     */
    synchronized boolean propertySet(final long offset, final boolean eight, final long value)
    {
        if (PROP_CC != offset || eight)
        {
            return false;
        }
        final int old = cc;
        cc = (int)value;
        final boolean wasEnabled = 0 != (old & 1);
        final boolean enabled = 0 != (cc & 1);
        if (enabled && !wasEnabled)
        {
            final int css = (cc >>> 4) & 0x7;
            final int mps = (cc >>> 7) & 0xF;
            final int ams = (cc >>> 11) & 0x7;
            final int iosqes = (cc >>> 16) & 0xF;
            final int iocqes = (cc >>> 20) & 0xF;
            if (6 == iosqes && 4 == iocqes && 0 == mps && 0 == ams && (0 == css || 6 == css))
            {
                csts |= 1;
            }
            else
            {
                csts |= 2;
            }
        }
        else if (!enabled && wasEnabled)
        {
            csts = 0;
        }
        final int shn = (cc >>> 14) & 0x3;
        if (0 != shn)
        {
            csts = (csts & ~0xC) | 0x8;
        }
        else
        {
            csts &= ~0xC;
        }
        return true;
    }

    /** @return whether CSTS.RDY is set (I/O queues may connect). */
    synchronized boolean ready()
    {
        return 0 != (csts & 1);
    }

    /**
     * @param requested CDW11 of Set Features Number of Queues (NSQR 15:0, NCQR 31:16, 0's based).
     * @return the counts granted, same layout.
     */
    synchronized int setQueues(final int requested)
    {
        final int nsq = Math.min(requested & 0xFFFF, MAX_IO_QUEUES - 1);
        final int ncq = Math.min(requested >>> 16, MAX_IO_QUEUES - 1);
        queuesGranted = nsq | ncq << 16;
        return queuesGranted;
    }

    synchronized int queuesGranted()
    {
        return queuesGranted;
    }

    synchronized void kato(final long ms)
    {
        katoSet = ms;
    }

    synchronized long kato()
    {
        return 0 == katoSet ? kato : katoSet;
    }

    /**
     * @param qid an I/O queue id.
     * @return whether it was free and is now attached.
     */
    synchronized boolean attach(final int qid)
    {
        if (ioQueues.get(qid))
        {
            return false;
        }
        ioQueues.set(qid);
        return true;
    }

    synchronized void detach(final int qid)
    {
        ioQueues.clear(qid);
    }
}
