package io.xts.xsk;

import io.xts.bindings.libc.libc_h;
import io.xts.bindings.libc.pollfd;
import io.xts.bindings.libxdp.xsk_h;
import io.xts.bindings.libxdp.xsk_ring_cons;
import io.xts.bindings.libxdp.xsk_ring_prod;
import io.xts.bindings.libxdp.xsk_socket_config;
import io.xts.bindings.linux.if_xdp_h;
import io.xts.bindings.linux.xdp_options;
import io.xts.bindings.linux.xdp_statistics;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * An AF_XDP socket bound to one queue of one interface, over a {@link Umem}: its RX and TX rings, the UMEM's fill
 * and completion rings, the wakeup syscalls of the need_wakeup protocol, and the kernel's statistics. Sockets are
 * created with libxdp's own program loading inhibited; frames reach the socket through an {@link XdpProgram} whose
 * XSKMAP it registers in.
 * <p>
 * The rings and the wakeup calls belong to one thread. {@link #close()} releases the socket exactly once, also after
 * a failure half way through set-up.
 */
public final class XskSocket implements AutoCloseable
{
    /** Transient results of a TX kick: the kernel is busy or out of buffers; try again on the next loop. */
    private static final int EAGAIN = libc_h.EAGAIN;

    private final Config config;
    private final Umem umem;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment xsk;
    private final int fd;
    private final RxRing rxRing;
    private final TxRing txRing;
    private final FillRing fillRing;
    private final CompletionRing completionRing;
    private final boolean zeroCopy;
    private final String where;
    private final MemorySegment errnoState;
    private final MemorySegment statsBuffer;
    private final MemorySegment optlen;
    private final MemorySegment pollFd;
    private long txKicks;
    private long rxWakeups;
    private boolean umemBound;
    private boolean closed;

    /**
     * Configuration of a socket.
     *
     * @param ifname     interface name (in the creating thread's network namespace).
     * @param queue      queue id.
     * @param rxSize     RX ring entries (power of two), or 0 for a TX-only socket.
     * @param txSize     TX ring entries (power of two), or 0 for an RX-only socket.
     * @param bindMode   copy, zero-copy, or try zero-copy first.
     * @param needWakeup bind with XDP_USE_NEED_WAKEUP (the kernel says when a syscall is needed).
     * @param multiBuffer bind with XDP_USE_SG (packets larger than a frame span several descriptors).
     * @param bindRetries how often to retry a bind that fails with EBUSY (teardown of a previous socket on the same
     *                    queue is asynchronous).
     */
    public record Config(
        String ifname, int queue, int rxSize, int txSize, BindMode bindMode, boolean needWakeup,
        boolean multiBuffer, int bindRetries)
    {
        /** Validates where the values enter. */
        public Config
        {
            Objects.requireNonNull(ifname, "ifname");
            Objects.requireNonNull(bindMode, "bindMode");
            if (ifname.isEmpty() || ifname.length() > 15)
            {
                throw new IllegalArgumentException("interface name must be 1-15 characters, got '" + ifname + "'");
            }
            if (queue < 0)
            {
                throw new IllegalArgumentException("queue must be >= 0, got " + queue);
            }
            if (0 == rxSize && 0 == txSize)
            {
                throw new IllegalArgumentException("a socket needs an RX ring, a TX ring, or both");
            }
            if (0 != rxSize)
            {
                Umem.requirePowerOfTwo("RX ring size", rxSize);
            }
            if (0 != txSize)
            {
                Umem.requirePowerOfTwo("TX ring size", txSize);
            }
            if (bindRetries < 0)
            {
                throw new IllegalArgumentException("bind retries must be >= 0, got " + bindRetries);
            }
        }

        /**
         * @param ifname interface.
         * @param queue  queue id.
         * @return copy mode, need_wakeup, 4096-entry RX and TX rings, 20 retries on EBUSY.
         */
        public static Config of(final String ifname, final int queue)
        {
            return new Config(ifname, queue, 4096, 4096, BindMode.COPY, true, false, 20);
        }

        /**
         * @param rx RX ring entries, 0 for none.
         * @param tx TX ring entries, 0 for none.
         * @return this configuration with other ring sizes.
         */
        public Config rings(final int rx, final int tx)
        {
            return new Config(ifname, queue, rx, tx, bindMode, needWakeup, multiBuffer, bindRetries);
        }

        /**
         * @param mode the bind mode.
         * @return this configuration with another bind mode.
         */
        public Config bindMode(final BindMode mode)
        {
            return new Config(ifname, queue, rxSize, txSize, mode, needWakeup, multiBuffer, bindRetries);
        }

        /**
         * @param enabled multi-buffer on or off.
         * @return this configuration with XDP_USE_SG set or not.
         */
        public Config multiBuffer(final boolean enabled)
        {
            return new Config(ifname, queue, rxSize, txSize, bindMode, needWakeup, enabled, bindRetries);
        }

        /**
         * @param enabled need_wakeup on or off.
         * @return this configuration with XDP_USE_NEED_WAKEUP set or not.
         */
        public Config needWakeup(final boolean enabled)
        {
            return new Config(ifname, queue, rxSize, txSize, bindMode, enabled, multiBuffer, bindRetries);
        }
    }

    /**
     * Create and bind a socket, and register it in a program's XSKMAP.
     *
     * @param config  socket configuration.
     * @param umem    the UMEM; the first socket on it uses its fill and completion rings, later ones get their own
     *                (a shared UMEM, {@code xsk_socket__create_shared}).
     * @param program the steering program whose XSKMAP slot {@code queue} should point at this socket, or null
     *                (TX-only sockets need none; or register later with {@link #registerWith}, after stocking
     *                the fill ring).
     * @return the bound socket.
     * @throws XskException naming the failed call, interface, queue and errno.
     */
    public static XskSocket open(final Config config, final Umem umem, final XdpProgram program)
    {
        return new XskSocket(config, umem, program);
    }

    private XskSocket(final Config config, final Umem umem, final XdpProgram program)
    {
        this.config = config;
        this.umem = umem;
        this.where = config.ifname() + " queue " + config.queue();
        MemorySegment socket = MemorySegment.NULL;
        try
        {
            errnoState = libc_h.allocateErrnoState(arena);
            statsBuffer = xdp_statistics.allocate(arena);
            optlen = arena.allocate(ValueLayout.JAVA_INT);
            pollFd = pollfd.allocate(arena);
            final MemorySegment rxStruct = 0 != config.rxSize() ? xsk_ring_cons.allocate(arena) : MemorySegment.NULL;
            final MemorySegment txStruct = 0 != config.txSize() ? xsk_ring_prod.allocate(arena) : MemorySegment.NULL;
            final boolean shared = umem.bindSocket() > 0;
            umemBound = true;
            final MemorySegment fillStruct = shared ? xsk_ring_prod.allocate(arena) : umem.fillStruct();
            final MemorySegment compStruct = shared ? xsk_ring_cons.allocate(arena) : umem.completionStruct();

            boolean zc = false;
            if (BindMode.COPY == config.bindMode())
            {
                socket = create(config, umem, shared, rxStruct, txStruct, fillStruct, compStruct, if_xdp_h.XDP_COPY);
            }
            else
            {
                try
                {
                    socket = create(
                        config, umem, shared, rxStruct, txStruct, fillStruct, compStruct, if_xdp_h.XDP_ZEROCOPY);
                    zc = true;
                }
                catch (final XskException ex)
                {
                    if (BindMode.ZERO_COPY == config.bindMode())
                    {
                        throw ex;
                    }
                    socket = create(
                        config, umem, shared, rxStruct, txStruct, fillStruct, compStruct, if_xdp_h.XDP_COPY);
                }
            }
            xsk = socket;
            fd = xsk_h.xsk_socket__fd(xsk);
            rxRing = 0 != config.rxSize() ? RxRing.of(rxStruct) : null;
            txRing = 0 != config.txSize() ? TxRing.of(txStruct) : null;
            fillRing = shared ? FillRing.of(fillStruct) : umem.fillRing();
            completionRing = shared ? CompletionRing.of(compStruct) : umem.completionRing();
            zeroCopy = readZeroCopyOption();
            if (zc != zeroCopy)
            {
                throw new XskException("getsockopt(XDP_OPTIONS)", where,
                    "bound in " + (zc ? "zero-copy" : "copy") + " mode but the kernel reports otherwise");
            }
            if (null != program && null != rxRing)
            {
                final int rc = xsk_h.xsk_socket__update_xskmap(xsk, program.xskMapFd());
                if (0 != rc)
                {
                    throw new XskException("xsk_socket__update_xskmap", where, rc);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            if (!MemorySegment.NULL.equals(socket))
            {
                xsk_h.xsk_socket__delete(socket);
            }
            if (umemBound)
            {
                umem.unbindSocket();
                umemBound = false;
            }
            arena.close();
            throw ex;
        }
    }

    private MemorySegment create(
        final Config config,
        final Umem umem,
        final boolean shared,
        final MemorySegment rxStruct,
        final MemorySegment txStruct,
        final MemorySegment fillStruct,
        final MemorySegment compStruct,
        final int modeFlag)
    {
        final MemorySegment cfg = xsk_socket_config.allocate(arena);
        xsk_socket_config.rx_size(cfg, config.rxSize());
        xsk_socket_config.tx_size(cfg, config.txSize());
        xsk_socket_config.libxdp_flags(cfg, xsk_h.XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD);
        xsk_socket_config.xdp_flags(cfg, 0);
        int bindFlags = modeFlag;
        if (config.needWakeup())
        {
            bindFlags |= if_xdp_h.XDP_USE_NEED_WAKEUP;
        }
        if (config.multiBuffer())
        {
            bindFlags |= if_xdp_h.XDP_USE_SG;
        }
        xsk_socket_config.bind_flags(cfg, (short)bindFlags);
        final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        final MemorySegment ifname = arena.allocateFrom(config.ifname());
        int rc = 0;
        for (int attempt = 0; attempt <= config.bindRetries(); attempt++)
        {
            rc = shared ?
                xsk_h.xsk_socket__create_shared(
                    out, ifname, config.queue(), umem.handle(), rxStruct, txStruct, fillStruct, compStruct, cfg) :
                xsk_h.xsk_socket__create(out, ifname, config.queue(), umem.handle(), rxStruct, txStruct, cfg);
            if (-libc_h.EBUSY != rc && libc_h.EBUSY != rc)
            {
                break;
            }
            try
            {
                Thread.sleep(Math.min(200, 10L << Math.min(attempt, 4)));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (0 != rc)
        {
            throw new XskException(shared ? "xsk_socket__create_shared" : "xsk_socket__create", where, rc);
        }
        return out.get(ValueLayout.ADDRESS, 0);
    }

    private boolean readZeroCopyOption()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment options = xdp_options.allocate(a);
            final MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, (int)xdp_options.sizeof());
            final int rc = libc_h.getsockopt(errnoState, fd, if_xdp_h.SOL_XDP, if_xdp_h.XDP_OPTIONS, options, len);
            if (0 != rc)
            {
                throw new XskException("getsockopt(XDP_OPTIONS)", where, libc_h.errno(errnoState));
            }
            return 0 != (xdp_options.flags(options) & if_xdp_h.XDP_OPTIONS_ZEROCOPY);
        }
    }

    /**
     * Ask the kernel to busy-poll this socket's device queue: {@code SO_BUSY_POLL} (microseconds a wakeup syscall
     * polls the device) and {@code SO_BUSY_POLL_BUDGET} (packets per poll), and, if asked, {@code SO_PREFER_BUSY_POLL}
     * (the application's polling, not softirqs, drives the queue's NAPI). Preferred busy polling suits only an
     * application that makes a receive syscall whenever it waits: the kernel then leaves received frames to those
     * syscalls, so one that polls the RX ring without syscalls (in copy mode the fill ring never asks for a wakeup)
     * sees them late or not at all; measured on veth, the XTS link declared its peer dead within seconds. Each option
     * is tried on its own: a kernel or device may refuse one (an old kernel EINVAL or ENOPROTOOPT, SO_BUSY_POLL above
     * net.core.busy_read without CAP_NET_ADMIN EPERM); what was refused is said in the answer, never thrown, because
     * the socket works without them.
     *
     * @param micros busy-poll time per syscall, 1..10000 microseconds.
     * @param budget packets per busy poll, 1..65535.
     * @param prefer also set SO_PREFER_BUSY_POLL.
     * @return the options and what the kernel said: "SO_BUSY_POLL=20 ok, SO_BUSY_POLL_BUDGET=64 refused: EPERM (...)".
     */
    public String busyPoll(final int micros, final int budget, final boolean prefer)
    {
        if (micros < 1 || micros > 10_000)
        {
            throw new IllegalArgumentException("busy-poll time must be 1..10000 us, got " + micros);
        }
        if (budget < 1 || budget > 0xFFFF)
        {
            throw new IllegalArgumentException("busy-poll budget must be 1..65535, got " + budget);
        }
        return (prefer ? setIntOption("SO_PREFER_BUSY_POLL", libc_h.SO_PREFER_BUSY_POLL, 1) + ", " : "") +
            setIntOption("SO_BUSY_POLL", libc_h.SO_BUSY_POLL, micros) + ", " +
            setIntOption("SO_BUSY_POLL_BUDGET", libc_h.SO_BUSY_POLL_BUDGET, budget);
    }

    private String setIntOption(final String name, final int option, final int value)
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment v = a.allocateFrom(ValueLayout.JAVA_INT, value);
            final int rc = libc_h.setsockopt(errnoState, fd, libc_h.SOL_SOCKET, option, v, Integer.BYTES);
            return name + "=" + value + (0 == rc ? " ok" :
                " refused: " + XskException.describe(libc_h.errno(errnoState)));
        }
    }

    /**
     * Point a program's XSKMAP slot for this socket's queue at this socket, so frames start to arrive. Register only
     * after the fill ring is stocked: a frame that arrives before that is dropped by the kernel.
     *
     * @param program the steering program.
     */
    public void registerWith(final XdpProgram program)
    {
        if (null == rxRing)
        {
            throw new IllegalStateException(this + " has no RX ring to steer frames to");
        }
        final int rc = xsk_h.xsk_socket__update_xskmap(xsk, program.xskMapFd());
        if (0 != rc)
        {
            throw new XskException("xsk_socket__update_xskmap", where, rc);
        }
    }

    /**
     * @return the configuration.
     */
    public Config config()
    {
        return config;
    }

    /**
     * @return the UMEM.
     */
    public Umem umem()
    {
        return umem;
    }

    /**
     * @return the socket's file descriptor.
     */
    public int fd()
    {
        return fd;
    }

    /**
     * @return the RX ring, or null for a TX-only socket.
     */
    public RxRing rxRing()
    {
        return rxRing;
    }

    /**
     * @return the TX ring, or null for an RX-only socket.
     */
    public TxRing txRing()
    {
        return txRing;
    }

    /**
     * @return the fill ring this socket receives through.
     */
    public FillRing fillRing()
    {
        return fillRing;
    }

    /**
     * @return the completion ring this socket's sent frames come back on.
     */
    public CompletionRing completionRing()
    {
        return completionRing;
    }

    /**
     * @return true when the kernel reports zero-copy mode (XDP_OPTIONS), false in copy mode.
     */
    public boolean zeroCopy()
    {
        return zeroCopy;
    }

    /**
     * @return TX kicks made.
     */
    public long txKicks()
    {
        return txKicks;
    }

    /**
     * @return RX wakeups made.
     */
    public long rxWakeups()
    {
        return rxWakeups;
    }

    /**
     * Kick the kernel to send what the TX ring holds: {@code sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0)}. Call it when
     * {@link TxRing#needsWakeup()} says so, and when a reserve fails or completions stop arriving.
     *
     * @return true if the kernel took the kick, false when it was busy (EAGAIN, EBUSY, ENOBUFS, ENETDOWN) and the
     *         caller should kick again on a later loop.
     * @throws XskException on any other error.
     */
    public boolean kickTx()
    {
        txKicks++;
        final long rc = libc_h.sendto(errnoState, fd, MemorySegment.NULL, 0L, libc_h.MSG_DONTWAIT,
            MemorySegment.NULL, 0);
        if (rc >= 0)
        {
            return true;
        }
        final int errno = libc_h.errno(errnoState);
        if (EAGAIN == errno || libc_h.EBUSY == errno || libc_h.ENOBUFS == errno || libc_h.ENETDOWN == errno ||
            libc_h.EINTR == errno)
        {
            return false;
        }
        throw new XskException("sendto (TX kick)", where, errno);
    }

    /**
     * Wake the kernel's receive processing when the fill ring asks for it: {@code recvfrom} with MSG_DONTWAIT.
     */
    public void wakeupRx()
    {
        rxWakeups++;
        final long rc = libc_h.recvfrom(errnoState, fd, MemorySegment.NULL, 0L, libc_h.MSG_DONTWAIT,
            MemorySegment.NULL, MemorySegment.NULL);
        if (rc < 0)
        {
            final int errno = libc_h.errno(errnoState);
            if (EAGAIN != errno && libc_h.EBUSY != errno && libc_h.EINTR != errno && libc_h.ENOBUFS != errno)
            {
                throw new XskException("recvfrom (RX wakeup)", where, errno);
            }
        }
    }

    /**
     * Wait for frames on the RX ring, at most {@code timeoutMs} (bounded, so an agent can always stop).
     *
     * @param timeoutMs upper bound of the wait in milliseconds.
     * @return true when the socket is readable.
     */
    public boolean pollRx(final int timeoutMs)
    {
        pollfd.fd(pollFd, fd);
        pollfd.events(pollFd, libc_h.POLLIN);
        pollfd.revents(pollFd, (short)0);
        final int rc = libc_h.poll(errnoState, pollFd, 1L, timeoutMs);
        if (rc < 0)
        {
            final int errno = libc_h.errno(errnoState);
            if (libc_h.EINTR == errno)
            {
                return false;
            }
            throw new XskException("poll", where, errno);
        }
        return rc > 0;
    }

    /**
     * Read the kernel's statistics into {@code into}; allocates nothing.
     *
     * @param into where to put them.
     * @return {@code into}.
     */
    public XskStatistics statistics(final XskStatistics into)
    {
        optlen.set(ValueLayout.JAVA_INT, 0, (int)xdp_statistics.sizeof());
        final int rc = libc_h.getsockopt(errnoState, fd, if_xdp_h.SOL_XDP, if_xdp_h.XDP_STATISTICS,
            statsBuffer, optlen);
        if (0 != rc)
        {
            throw new XskException("getsockopt(XDP_STATISTICS)", where, libc_h.errno(errnoState));
        }
        into.rxDropped = xdp_statistics.rx_dropped(statsBuffer);
        into.rxInvalidDescs = xdp_statistics.rx_invalid_descs(statsBuffer);
        into.txInvalidDescs = xdp_statistics.tx_invalid_descs(statsBuffer);
        into.rxRingFull = xdp_statistics.rx_ring_full(statsBuffer);
        into.rxFillRingEmptyDescs = xdp_statistics.rx_fill_ring_empty_descs(statsBuffer);
        into.txRingEmptyDescs = xdp_statistics.tx_ring_empty_descs(statsBuffer);
        return into;
    }

    /**
     * Delete the socket (which unregisters it from the XSKMAP), exactly once. The UMEM stays; close it after its
     * sockets.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            xsk_h.xsk_socket__delete(xsk);
        }
        finally
        {
            if (umemBound)
            {
                umem.unbindSocket();
                umemBound = false;
            }
            arena.close();
        }
    }

    @Override
    public String toString()
    {
        return "XskSocket[" + where + (zeroCopy ? ", zero-copy" : ", copy") + "]";
    }
}
