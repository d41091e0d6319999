package io.xts.tools.nvme;

import io.xts.nvme.host.CompletionHandler;
import io.xts.nvme.host.NvmeQueue;
import io.xts.nvme.host.NvmeStatus;
import io.xts.nvme.host.ScatterList;
import io.xts.nvme.host.ScatterReadHandler;
import org.HdrHistogram.Histogram;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One job of {@code xts nvme-bench}: one I/O queue, driven by one thread with {@code iodepth} commands in flight,
 * each command re-issued from its own completion (a slot of {@code bs} bytes per command, so nothing is allocated on
 * the data path). Runs one {@link Phase} at a time: the pattern pre-fill, the timed workload, or the read-back.
 * <p>
 * In THREAD mode (the default of the command) the completions, latency recording, checks and re-submissions run on
 * the queue's reader thread and the job thread only starts the phase and waits; in POLL mode the job thread spins on
 * {@link NvmeQueue#poll()} and they run on it. Either way each counter has a single writer; the caller reads them
 * after {@link #run} returned.
 * <p>
 * With {@code scatter} the reads are {@link NvmeQueue#readScatter scatter reads}: the data is checked where it
 * arrived, piece by piece through the list's views, and the list released before the slot's next command.
 */
final class BenchJob implements CompletionHandler, ScatterReadHandler
{
    /** What a {@link #run} does. */
    enum Phase
    {
        /** Write the pattern over this job's share of the region (chunks job, job + numjobs, ...). */
        PREFILL,
        /** The timed workload until {@link Control#stop}. */
        WORKLOAD,
        /** Read this job's share of the region and check it against the pattern. */
        READBACK
    }

    /** Flags the coordinating thread sets for every job of the workload. */
    static final class Control
    {
        /** Completions from now on are counted and timed. */
        volatile boolean recording;
        /** No more submissions (and no more recording). */
        volatile boolean stop;
    }

    /** How long outstanding commands may make no progress before the job gives up on them. */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final int index;
    private final int numjobs;
    private final NvmeQueue queue;
    private final boolean polled;
    private final long nsid;
    private final int bs;
    private final int blocksPerIo;
    private final int blockSize;
    private final long chunks;
    private final boolean random;
    private final boolean writeWorkload;
    private final boolean verify;
    private final boolean scatter;
    private final BenchPattern pattern;
    private final Control control;
    private final MemorySegment buffers;
    private final long[] slotLba;
    private final long[] slotStart;
    private final Integer[] slotIds;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicLong cursor = new AtomicLong();

    private volatile Phase phase = Phase.WORKLOAD;
    private volatile long completions;
    private volatile String failure;
    private volatile boolean exhausted;

    // Written by the completing thread only.
    final Histogram latency = new Histogram(3);
    long ios;
    long readErrors;
    long writeErrors;
    long mismatches;
    long checkedBlocks;
    /** First mismatching LBA, or -1. */
    long mismatchLba = -1;
    /** Byte offset in the namespace of the first mismatching byte, or -1. */
    long mismatchOffset = -1;

    /**
     * @param index    job number, 0-based.
     * @param numjobs  jobs in all.
     * @param queue    this job's queue.
     * @param polled   whether the queue is in POLL mode.
     * @param nsid     namespace.
     * @param bs       bytes per command.
     * @param iodepth  commands in flight.
     * @param size     bytes of the region [0, size), a multiple of bs.
     * @param random   random offsets (else sequential, wrapping).
     * @param write    whether the workload writes.
     * @param verify   whether to write the pattern and check reads against it.
     * @param scatter  whether reads are scatter reads (data left where it arrived, checked through the views).
     * @param pattern  the pattern.
     * @param control  the workload's flags.
     * @param arena    where the buffers live (shared: a reader thread may complete into them).
     */
    BenchJob(final int index, final int numjobs, final NvmeQueue queue, final boolean polled, final long nsid,
        final int bs, final int iodepth, final long size, final boolean random, final boolean write,
        final boolean verify, final boolean scatter, final BenchPattern pattern, final Control control,
        final Arena arena)
    {
        this.index = index;
        this.numjobs = numjobs;
        this.queue = queue;
        this.polled = polled;
        this.nsid = nsid;
        this.bs = bs;
        this.blockSize = pattern.blockSize();
        this.blocksPerIo = bs / blockSize;
        this.chunks = size / bs;
        this.random = random;
        this.writeWorkload = write;
        this.verify = verify;
        this.scatter = scatter;
        this.pattern = pattern;
        this.control = control;
        this.buffers = arena.allocate((long)iodepth * bs, 4096);
        this.slotLba = new long[iodepth];
        this.slotStart = new long[iodepth];
        this.slotIds = new Integer[iodepth];
        for (int i = 0; i < iodepth; i++)
        {
            slotIds[i] = i;
        }
        if (write && !verify)
        {
            // Writes without --verify carry whatever this is; fill once so it is not all zeros.
            final MemorySegment first = buffers.asSlice(0, bs);
            pattern.fill(first, 0, 0x5EED, blocksPerIo);
            for (int i = 1; i < iodepth; i++)
            {
                MemorySegment.copy(first, 0, buffers, (long)i * bs, bs);
            }
        }
    }

    /** @return why the job stopped early, or null. */
    String failure()
    {
        return failure;
    }

    /**
     * Run one phase on the calling thread until it is done: the region is covered (PREFILL, READBACK), or
     * {@link Control#stop} is set (WORKLOAD), or a command failed; then wait for the commands in flight.
     *
     * @param p the phase.
     */
    void run(final Phase p)
    {
        phase = p;
        exhausted = false;
        cursor.set(Phase.WORKLOAD == p ? (random ? 0 : index * chunks / numjobs) : index);
        for (int slot = 0; slot < slotIds.length && null == failure; slot++)
        {
            if (!submit(slot))
            {
                break;
            }
        }
        long seen = completions;
        long lastProgress = System.nanoTime();
        while (outstanding.get() > 0)
        {
            if (polled)
            {
                if (0 == queue.poll())
                {
                    Thread.onSpinWait();
                }
            }
            else
            {
                LockSupport.parkNanos(5_000_000);
            }
            final long now = System.nanoTime();
            final long c = completions;
            if (c != seen)
            {
                seen = c;
                lastProgress = now;
            }
            else if (now - lastProgress > STALL_NANOS)
            {
                fail("job " + index + ": " + outstanding.get() + " commands made no progress for " +
                    TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS) + " s");
                return;
            }
        }
    }

    private boolean isWrite()
    {
        return switch (phase)
        {
            case PREFILL -> true;
            case READBACK -> false;
            case WORKLOAD -> writeWorkload;
        };
    }

    /** @return the first LBA of the next command, or -1 when this phase has nothing more to issue. */
    private long nextLba()
    {
        if (Phase.WORKLOAD == phase)
        {
            if (control.stop)
            {
                return -1;
            }
            final long chunk = random ? ThreadLocalRandom.current().nextLong(chunks) :
                Math.floorMod(cursor.getAndIncrement(), chunks);
            return chunk * blocksPerIo;
        }
        final long chunk = cursor.getAndAdd(numjobs);
        return chunk < chunks ? chunk * blocksPerIo : -1;
    }

    private boolean submit(final int slot)
    {
        if (null != failure || exhausted)
        {
            return false;
        }
        final long lba = nextLba();
        if (lba < 0)
        {
            exhausted = true;
            return false;
        }
        final boolean write = isWrite();
        final long offset = (long)slot * bs;
        slotLba[slot] = lba;
        if (write && verify)
        {
            pattern.fill(buffers, offset, lba, blocksPerIo);
        }
        outstanding.incrementAndGet();
        slotStart[slot] = System.nanoTime();
        final boolean accepted;
        if (write)
        {
            accepted = queue.write(nsid, lba, blocksPerIo, buffers, offset, this, slotIds[slot]);
        }
        else if (scatter)
        {
            accepted = queue.readScatter(nsid, lba, blocksPerIo, this, slotIds[slot]);
        }
        else
        {
            accepted = queue.read(nsid, lba, blocksPerIo, buffers, offset, this, slotIds[slot]);
        }
        if (!accepted)
        {
            outstanding.decrementAndGet();
            fail("job " + index + ": queue " + queue.qid() + " refused a command (" + queue.inFlight() +
                " in flight, depth " + queue.depth() + ")");
            return false;
        }
        return true;
    }

    @Override
    public void onCompletion(final int status, final long result, final Object attachment)
    {
        complete(status, null, attachment);
    }

    @Override
    public void onCompletion(final int status, final ScatterList data, final Object attachment)
    {
        complete(status, data, attachment);
    }

    /** A command completed (a scatter read with its data, to be released before the slot's next command). */
    private void complete(final int status, final ScatterList data, final Object attachment)
    {
        final long now = System.nanoTime();
        final int slot = (Integer)attachment;
        boolean released = false;
        try
        {
            completions++;
            final boolean write = isWrite();
            final long lba = slotLba[slot];
            if (!NvmeStatus.isSuccess(status))
            {
                if (write)
                {
                    writeErrors++;
                }
                else
                {
                    readErrors++;
                }
                fail("job " + index + ": " + (write ? "write" : "read") + " of LBA " + lba + " (" + blocksPerIo +
                    " blocks) on queue " + queue.qid() + " failed: " + NvmeStatus.describe(status) +
                    (null != queue.failure() ? " (" + queue.failure().getMessage() + ")" : ""));
                return;
            }
            if (!write && verify)
            {
                final long bad = null == data ? pattern.check(buffers, (long)slot * bs, lba, blocksPerIo) :
                    check(data, lba);
                checkedBlocks += blocksPerIo;
                if (bad >= 0)
                {
                    mismatches++;
                    if (mismatchLba < 0)
                    {
                        mismatchLba = lba + bad / blockSize;
                        mismatchOffset = lba * blockSize + bad;
                    }
                    fail("job " + index + ": verify failed: first mismatching LBA " + mismatchLba + " at byte offset " +
                        mismatchOffset + " of the namespace (byte " + (bad % blockSize) + " of the block)");
                    return;
                }
            }
            if (Phase.WORKLOAD == phase && control.recording && !control.stop)
            {
                latency.recordValue(Math.max(0, now - slotStart[slot]));
                ios++;
            }
            if (null != data)
            {
                // Before the next command: the list holds the slot.
                data.release();
                released = true;
            }
            submit(slot);
        }
        finally
        {
            if (null != data && !released)
            {
                data.release();
            }
            outstanding.decrementAndGet();
        }
    }

    /** Check a scatter read's data piece by piece where it lies; -1 or the offset of the first bad byte. */
    private long check(final ScatterList data, final long lba)
    {
        for (int i = 0; i < data.pieces(); i++)
        {
            final long bad = pattern.check(data.memory(i), data.offset(i), data.length(i), lba, data.dataOffset(i));
            if (bad >= 0)
            {
                return bad;
            }
        }
        return -1;
    }

    private void fail(final String why)
    {
        if (null == failure)
        {
            failure = why;
        }
    }
}
