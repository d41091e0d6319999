package io.xts.xsk;

import io.xts.bindings.libbpf.libbpf_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The steering program with loss injection, for tests: the testbed has no netem, so the link's loss recovery is
 * exercised by dropping a configurable fraction of the XTS frames (EtherType 0x88B5) in XDP before they reach the
 * AF_XDP socket. The survivors are steered exactly as by {@link XdpProgram#steering}, other traffic passes to the
 * kernel untouched. The drop probability (parts per million) is a BPF array map that can be changed while frames
 * flow; two counters say how many XTS frames were dropped and passed on. Sockets register through
 * {@link #program()} as with the plain steering program. Closing detaches and unloads it, exactly once.
 */
public final class LossyProgram implements AutoCloseable
{
    /** Name of the bundled object file. */
    public static final String OBJECT = "xts_lossy.o";
    /** The configuration map: one u32, the drop probability in parts per million. */
    public static final String CONFIG_MAP = "xts_loss_cfg";
    /** The statistics map: u64 frames dropped at index 0, passed at index 1. */
    public static final String STATS_MAP = "xts_loss_stats";
    /** Parts per million that mean "drop every XTS frame". */
    public static final int ALWAYS = 1_000_000;

    private static final int DROPPED = 0;
    private static final int PASSED = 1;

    private final XdpProgram program;
    private final int configFd;
    private final int statsFd;

    private LossyProgram(final XdpProgram program)
    {
        this.program = program;
        try
        {
            configFd = program.mapFd(CONFIG_MAP);
            statsFd = program.mapFd(STATS_MAP);
        }
        catch (final RuntimeException ex)
        {
            program.close();
            throw ex;
        }
    }

    /**
     * Load the bundled lossy program and attach it; it drops nothing until {@link #setDropPartsPerMillion} says so.
     *
     * @param ifname interface in the calling thread's network namespace.
     * @param mode   native or generic attach.
     * @return the attached program.
     * @throws XskException when loading or attaching fails.
     */
    public static LossyProgram attach(final String ifname, final AttachMode mode)
    {
        return new LossyProgram(XdpProgram.attach(ifname, XdpProgram.extractResource(OBJECT), "xdp", mode));
    }

    /**
     * @return the underlying program, to register sockets with ({@link XskSocket#open}).
     */
    public XdpProgram program()
    {
        return program;
    }

    /**
     * @return fd of the XSKMAP.
     */
    public int xskMapFd()
    {
        return program.xskMapFd();
    }

    /**
     * Set the probability that an XTS frame is dropped; takes effect for the next frame.
     *
     * @param ppm parts per million, 0 (none) to {@value #ALWAYS} (all).
     * @throws IllegalArgumentException when out of range.
     * @throws XskException when the map update fails.
     */
    public void setDropPartsPerMillion(final int ppm)
    {
        if (ppm < 0 || ppm > ALWAYS)
        {
            throw new IllegalArgumentException("drop probability must be 0.." + ALWAYS + " ppm, got " + ppm);
        }
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment key = a.allocateFrom(ValueLayout.JAVA_INT, 0);
            final MemorySegment value = a.allocateFrom(ValueLayout.JAVA_INT, ppm);
            final int rc = libbpf_h.bpf_map_update_elem(configFd, key, value, 0L);
            if (0 != rc)
            {
                throw new XskException("bpf_map_update_elem(" + CONFIG_MAP + ")", program.interfaceName(), rc);
            }
        }
    }

    /**
     * @return the drop probability in force, in parts per million.
     */
    public int dropPartsPerMillion()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment key = a.allocateFrom(ValueLayout.JAVA_INT, 0);
            final MemorySegment value = a.allocate(ValueLayout.JAVA_INT);
            lookup(configFd, CONFIG_MAP, key, value);
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /**
     * @return XTS frames dropped so far. Safe to call from any thread.
     */
    public long dropped()
    {
        return counter(DROPPED);
    }

    /**
     * @return XTS frames passed on to the XSKMAP so far. Safe to call from any thread.
     */
    public long passed()
    {
        return counter(PASSED);
    }

    private long counter(final int index)
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment key = a.allocateFrom(ValueLayout.JAVA_INT, index);
            final MemorySegment value = a.allocate(ValueLayout.JAVA_LONG);
            lookup(statsFd, STATS_MAP, key, value);
            return value.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private void lookup(final int fd, final String map, final MemorySegment key, final MemorySegment value)
    {
        final int rc = libbpf_h.bpf_map_lookup_elem(fd, key, value);
        if (0 != rc)
        {
            throw new XskException("bpf_map_lookup_elem(" + map + ")", program.interfaceName(), rc);
        }
    }

    /**
     * Detach from the interface and unload, exactly once.
     */
    @Override
    public void close()
    {
        program.close();
    }
}
