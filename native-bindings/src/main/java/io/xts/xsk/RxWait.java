package io.xts.xsk;

import io.xts.bindings.libc.libc_h;
import io.xts.bindings.libc.pollfd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * A sleep that ends when frames arrive: one thread at a time blocks in {@code ppoll(2)} on an AF_XDP socket (its RX
 * ring readable) and on an eventfd that any other thread can ring, with a timeout in nanoseconds. It lets a thread
 * that drives a link stop spinning and parking on a timer when nothing happens: the kernel wakes it when the NIC
 * (on veth, the peer's transmit) puts a frame on the RX ring, as a blocking TCP reader is woken, and a thread that
 * hands it work or data rings the bell. The bell is an eventfd counter: ringing before the sleep starts makes the
 * sleep return at once, so no ring is lost; the sleeper clears it when it wakes.
 * <p>
 * Threads: {@link #await} from one thread at a time (the caller ensures it); {@link #ring} from any thread, also
 * concurrently. Allocates nothing after construction.
 */
public final class RxWait implements AutoCloseable
{
    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long EVENT_SIZE = Long.BYTES;

    private final Arena arena = Arena.ofShared();
    private final XskSocket socket;
    private final int eventFd;
    private final MemorySegment pollFds;
    private final MemorySegment timeout;
    private final MemorySegment sleeperErrno;
    private final MemorySegment drained;
    private final ThreadLocal<MemorySegment> ringerState;
    private final MemorySegment one;
    private volatile boolean closed;
    private long sleeps;
    private long rxWakes;
    private long rings;

    /**
     * @param socket the AF_XDP socket whose RX ring ends the sleep; it outlives this wait.
     * @throws XskException when no eventfd can be made.
     */
    public RxWait(final XskSocket socket)
    {
        this.socket = socket;
        final MemorySegment errno = libc_h.allocateErrnoState(arena);
        final int fd = libc_h.eventfd(errno, 0, libc_h.EFD_NONBLOCK | libc_h.EFD_CLOEXEC);
        if (fd < 0)
        {
            arena.close();
            throw new XskException("eventfd", "RX wait of " + socket, libc_h.errno(errno));
        }
        eventFd = fd;
        pollFds = arena.allocate(pollfd.layout(), 2);
        timeout = arena.allocate(2 * Long.BYTES, Long.BYTES);
        sleeperErrno = libc_h.allocateErrnoState(arena);
        drained = arena.allocate(EVENT_SIZE, Long.BYTES);
        one = arena.allocate(EVENT_SIZE, Long.BYTES);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        // Ringers hold different locks (or none): each thread writes through its own errno state.
        ringerState = ThreadLocal.withInitial(() -> libc_h.allocateErrnoState(Arena.ofAuto()));
    }

    /**
     * Sleep until the RX ring has frames, the bell rings, or {@code timeoutNs} passes; clears the bell.
     *
     * @param timeoutNs longest sleep in nanoseconds, positive.
     * @return true when frames or a ring ended it, false on timeout or a signal.
     */
    public boolean await(final long timeoutNs)
    {
        if (closed)
        {
            return false;
        }
        sleeps++;
        final MemorySegment rx = pollFds;
        pollfd.fd(rx, socket.fd());
        pollfd.events(rx, libc_h.POLLIN);
        pollfd.revents(rx, (short)0);
        final MemorySegment bell = pollFds.asSlice(pollfd.sizeof());
        pollfd.fd(bell, eventFd);
        pollfd.events(bell, libc_h.POLLIN);
        pollfd.revents(bell, (short)0);
        final long ns = Math.max(1, timeoutNs);
        timeout.set(ValueLayout.JAVA_LONG, 0, ns / NANOS_PER_SECOND);
        timeout.set(ValueLayout.JAVA_LONG, Long.BYTES, ns % NANOS_PER_SECOND);
        final int rc = libc_h.ppoll(sleeperErrno, pollFds, 2L, timeout, MemorySegment.NULL);
        if (rc < 0)
        {
            final int errno = libc_h.errno(sleeperErrno);
            if (libc_h.EINTR == errno)
            {
                return false;
            }
            throw new XskException("ppoll", "RX wait of " + socket, errno);
        }
        if (0 != pollfd.revents(bell))
        {
            // Clear the bell; a ring between this read and the next sleep keeps the counter above zero.
            libc_h.read(sleeperErrno, eventFd, drained, EVENT_SIZE);
        }
        if (0 != pollfd.revents(rx))
        {
            rxWakes++;
        }
        return rc > 0;
    }

    /**
     * Cut the current (or the next) sleep short. One system call; call it only when a thread may be asleep.
     */
    public void ring()
    {
        if (closed)
        {
            return;
        }
        rings++;
        final MemorySegment errno = ringerState.get();
        final long rc = libc_h.write(errno, eventFd, one, EVENT_SIZE);
        if (rc < 0 && libc_h.EAGAIN != libc_h.errno(errno))
        {
            throw new XskException("write (eventfd)", "RX wait of " + socket, libc_h.errno(errno));
        }
    }

    /**
     * @return sleeps begun (sleeper's count, racy from other threads).
     */
    public long sleeps()
    {
        return sleeps;
    }

    /**
     * @return sleeps the RX ring ended.
     */
    public long rxWakes()
    {
        return rxWakes;
    }

    /**
     * @return rings (racy: ringers on several threads).
     */
    public long rings()
    {
        return rings;
    }

    /**
     * Close the eventfd and free the memory. Call when no thread sleeps or rings any more.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        libc_h.close(sleeperErrno, eventFd);
        arena.close();
    }
}
