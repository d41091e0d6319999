package io.xts.xsk;

import io.xts.bindings.libbpf.libbpf_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The steering programs' peer filter for one queue: once a link has learned its peer's MAC at the handshake, the
 * XDP program drops XTS frames on that queue from any other source before they reach the AF_XDP socket, and counts
 * them. The link checks the source too (a program attached without the maps, or frames in flight when the peer was
 * learned), so this is the cheap first line, not the only one. Both maps are indexed by queue id; a value of 0 means
 * no peer learned, which lets everything through (a link that is connecting must hear HELLOs from whoever answers).
 * Allocates its scratch memory once; calls come from the link's driving thread.
 */
public final class PeerFilter
{
    /** The peer map: u64 per queue, the peer's MAC as a big-endian number in the low 48 bits, 0 for none. */
    public static final String PEER_MAP = "xts_peer";
    /** The counter map: u64 per queue, XTS frames dropped for coming from another source. */
    public static final String FOREIGN_MAP = "xts_foreign";
    /** Queues the maps have room for. */
    public static final int MAX_QUEUES = 64;

    private final String where;
    private final int queue;
    private final int peerFd;
    private final int foreignFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key;
    private final MemorySegment value;

    /**
     * @param program the attached steering program (plain or lossy), which has both maps.
     * @param queue   the queue the link runs on.
     * @throws XskException when the program lacks the maps.
     * @throws IllegalArgumentException when the queue is beyond the maps.
     */
    public PeerFilter(final XdpProgram program, final int queue)
    {
        if (queue < 0 || queue >= MAX_QUEUES)
        {
            throw new IllegalArgumentException("queue must be 0.." + (MAX_QUEUES - 1) + ", got " + queue);
        }
        this.where = program.interfaceName() + " queue " + queue;
        this.queue = queue;
        peerFd = program.mapFd(PEER_MAP);
        foreignFd = program.mapFd(FOREIGN_MAP);
        key = arena.allocate(ValueLayout.JAVA_INT);
        value = arena.allocate(ValueLayout.JAVA_LONG);
    }

    /**
     * Let only {@code mac} send XTS frames on this queue from now on.
     *
     * @param mac the peer's MAC in the low 48 bits (as {@code XtsFrameFlyweight.srcMac()} reads it); 0 lets anyone.
     */
    public void trustOnly(final long mac)
    {
        key.set(ValueLayout.JAVA_INT, 0, queue);
        value.set(ValueLayout.JAVA_LONG, 0, mac & 0xFFFF_FFFF_FFFFL);
        final int rc = libbpf_h.bpf_map_update_elem(peerFd, key, value, 0L);
        if (0 != rc)
        {
            throw new XskException("bpf_map_update_elem(" + PEER_MAP + ")", where, rc);
        }
    }

    /**
     * @return the MAC the queue trusts, 0 for anyone.
     */
    public long trusted()
    {
        return read(peerFd, PEER_MAP);
    }

    /**
     * @return XTS frames the program dropped on this queue for coming from another source.
     */
    public long foreignDrops()
    {
        return read(foreignFd, FOREIGN_MAP);
    }

    private long read(final int fd, final String map)
    {
        key.set(ValueLayout.JAVA_INT, 0, queue);
        final int rc = libbpf_h.bpf_map_lookup_elem(fd, key, value);
        if (0 != rc)
        {
            throw new XskException("bpf_map_lookup_elem(" + map + ")", where, rc);
        }
        return value.get(ValueLayout.JAVA_LONG, 0);
    }
}
