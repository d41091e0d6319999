package io.xts.sockets;

import io.xts.link.CreditWindow;
import io.xts.link.XtsLink;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static io.xts.protocol.SocketMessages.ECONNABORTED;
import static io.xts.protocol.SocketMessages.EPROTO;
import static io.xts.protocol.SocketMessages.FLAG_SO_KEEPALIVE;
import static io.xts.protocol.SocketMessages.FLAG_SO_REUSEADDR;
import static io.xts.protocol.SocketMessages.FLAG_TCP_NODELAY;
import static io.xts.protocol.SocketMessages.OPTION_SO_KEEPALIVE;
import static io.xts.protocol.SocketMessages.OPTION_SO_RCVBUF;
import static io.xts.protocol.SocketMessages.OPTION_SO_REUSEADDR;
import static io.xts.protocol.SocketMessages.OPTION_SO_SNDBUF;
import static io.xts.protocol.SocketMessages.OPTION_TCP_NODELAY;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CLOSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_CONNECT;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_RESET;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_SOCKET_SET_OPTION;

/**
 * A TCP connection that the proxy terminates, used like a {@link java.nio.channels.SocketChannel} (blocking or not,
 * scattering and gathering) or like a {@link java.net.Socket} (its streams, SO_TIMEOUT). Bytes the proxy reads from
 * the TCP peer arrive as DATA messages and wait in this socket's off-heap receive buffer, whose size is the window
 * granted to the proxy; reading frees room and returns credit. Writes go straight from the caller's buffer into
 * DATA messages in the link's TX frames, as far as the proxy's credit allows, so a peer that stops reading stops
 * the writer here. Without a copy: {@link #poll}, {@link #receive} and {@link #transferTo} use the bytes in the RX
 * frames they arrived in (once used, from then on DATA waits in its frames), {@link #claim} and
 * {@link #transferFrom} write them into the TX frames they leave in. Safe for use by many threads; a write's bytes
 * are never interleaved with another write's. Failures are the java.net exceptions the JDK's sockets throw, naming
 * the errno the proxy reported.
 */
public final class XtsSocket implements ByteChannel, ScatteringByteChannel, GatheringByteChannel
{
    /** DATA messages one write claims before it lets the poller and other threads have the lock. */
    private static final int CHUNKS_PER_LOCK = 16;
    /** Most pieces one poll, receive or transferTo hands over. */
    private static final int MAX_BATCH = 64;

    private enum State
    {
        UNCONNECTED, CONNECTING, CONNECTED, FAILED, CLOSED
    }

    private final XtsStack stack;
    private final ReentrantLock lock;
    /** Signalled on anything a blocked caller may wait for: data, credit, EOF, a result, failure, close. */
    private final Condition changed;
    /** Keeps the bytes of one write together when several threads write (the stack lock is let go mid-write). */
    private final ReentrantLock writeLock = new ReentrantLock();

    private int id;
    private State state;
    private boolean everConnected;
    private volatile boolean blocking = true;
    private volatile int soTimeoutMillis;
    private volatile InetSocketAddress localAddress;
    private volatile InetSocketAddress remoteAddress;

    // Options: sent in CONNECT before the connect, with SET_OPTION after; the value in effect as the proxy said.
    private boolean tcpNoDelay;
    private boolean keepAlive;
    private boolean reuseAddress;
    private int receiveBufferSize;
    private int sendBufferSize;

    // Receiving: the buffer, the credit window over it, and the limit the proxy was last granted.
    private ReceiveBuffer receiveBuffer;
    private CreditWindow receiveCredit;
    private long grantedLimit;
    /** Bytes of DATA ever received, whether placed in {@link #postedDst} or buffered: what the credit limits. */
    private long receivedPosition;
    /**
     * The buffer of a reader blocked with nothing buffered: DATA arriving meanwhile is copied straight into it from
     * the received frame (one copy instead of two through the receive buffer). Set and cleared under the stack lock.
     */
    private ByteBuffer postedDst;
    private int postedBytes;
    private boolean inputShutdown;

    // Sending: what was sent and what the proxy allows.
    private long sendPosition;
    private long sendLimit;
    private boolean outputShutdown;

    // Failure: exactly one of these says why, once the state is FAILED.
    private int failErrno;
    private String failLinkDown;
    private String failText;

    // The one SET_OPTION in flight.
    private boolean optionInFlight;
    private boolean optionDone;
    private int optionErrno;
    private long optionValue;
    private String optionText;

    // Receiving in place (set up by the first poll, receive or transferTo): the pieces held in their frames, and the
    // batch being handed to a handler or a channel with the stack lock let go (readLock held).
    /** Serialises readers, which may let the stack lock go while they work (handlers, transferTo). */
    private final ReentrantLock readLock = new ReentrantLock();
    private boolean receiveInPlace;
    private HeldFragments held;
    private boolean inHandler;
    private MemorySegment[] batchBuffer;
    private long[] batchOffset;
    private int[] batchLength;
    private int batchCount;
    /** This socket's own ByteBuffers over the link memory and the receive buffer, for channel I/O without the lock. */
    private ByteBuffer frameView;
    private ByteBuffer bufferView;
    /** Signals so far; see {@link #signals()}. */
    private volatile long signals;

    // Sending in place: the claim flyweight, and commits since the link was last driven (without a poller thread).
    private SendClaim sendClaim;
    private int commitsSinceSend;

    private InputStream inputStream;
    private OutputStream outputStream;

    /** Bytes that arrived as DATA (not ULP messages); read by the ULP listener, under the lock. */
    private volatile long dataReceived;
    /** NVMe/TCP offload messaging: its listener and the ULP messages sent and received. */
    private final UlpChannel ulp;

    /**
     * An unconnected socket.
     */
    XtsSocket(final XtsStack stack)
    {
        this.stack = stack;
        this.lock = stack.lock;
        this.changed = lock.newCondition();
        this.state = State.UNCONNECTED;
        this.ulp = new UlpChannel(this, stack);
    }

    /**
     * A socket the proxy accepted (ACCEPTED), connected from the start. Called with the lock held.
     */
    XtsSocket(
        final XtsStack stack, final int id, final long sendWindow, final InetSocketAddress local,
        final InetSocketAddress remote)
    {
        this(stack);
        this.id = id;
        openReceiveSide();
        sendLimit = sendWindow;
        localAddress = local;
        remoteAddress = remote;
        state = State.CONNECTED;
        everConnected = true;
    }

    private void openReceiveSide()
    {
        receiveBuffer = new ReceiveBuffer(stack.receiveWindow);
        receiveCredit = new CreditWindow(stack.receiveWindow);
        // What the proxy may send before our first CREDIT: the receive window given in CONNECT or LISTEN.
        grantedLimit = stack.receiveWindow;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Connect
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Connect through the proxy. Options set before are applied by the proxy before its connect. Any failure closes
     * the socket, as it does a SocketChannel.
     *
     * @param remote  where to connect, resolved.
     * @param timeout how long to wait; null or zero: the proxy's default connect timeout.
     * @throws java.net.ConnectException        refused, network unreachable.
     * @throws java.net.NoRouteToHostException  host unreachable.
     * @throws SocketTimeoutException           the proxy's connect timed out, or ours did.
     * @throws XtsPolicyException               the proxy's allow-list refused the destination.
     * @throws SocketException                  a proxy limit, the link down, or another errno.
     * @throws IOException                      closed ({@link ClosedChannelException}), interrupted.
     */
    public void connect(final InetSocketAddress remote, final Duration timeout) throws IOException
    {
        Objects.requireNonNull(remote, "remote");
        if (remote.isUnresolved())
        {
            throw new UnknownHostException(remote.getHostString());
        }
        if (null != timeout && timeout.isNegative())
        {
            throw new IllegalArgumentException("connect timeout must not be negative, got " + timeout);
        }
        final long timeoutMillis = null == timeout ? 0 : Math.min(timeout.toMillis(), 0xFFFF_FFFFL);
        lock.lock();
        try
        {
            switch (state)
            {
                case CLOSED -> throw new ClosedChannelException();
                case CONNECTING -> throw new ConnectionPendingException();
                case CONNECTED, FAILED -> throw new AlreadyConnectedException();
                default ->
                {
                }
            }
            if (stack.isClosed() || !stack.linkUp())
            {
                throw stack.linkDownException();
            }
            connectLocked(remote, timeoutMillis);
        }
        finally
        {
            lock.unlock();
        }
    }

    private void connectLocked(final InetSocketAddress remote, final long timeoutMillis) throws IOException
    {
        final long deadline = 0 == timeoutMillis ? XtsStack.NO_DEADLINE :
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        id = stack.allocateSocketId();
        remoteAddress = remote;
        openReceiveSide();
        state = State.CONNECTING;
        stack.sockets.put(id, this);
        stack.counters.connects.incrementRelease();
        try
        {
            final int flags = (tcpNoDelay ? FLAG_TCP_NODELAY : 0) | (keepAlive ? FLAG_SO_KEEPALIVE : 0) |
                (reuseAddress ? FLAG_SO_REUSEADDR : 0);
            while (!stack.sendConnect(id, remote, timeoutMillis, flags, receiveBufferSize, sendBufferSize))
            {
                throwIfNotConnecting();
                if (!stack.awaitOnce(stack.linkProgress, deadline))
                {
                    throw connectTimedOut(remote, timeoutMillis);
                }
            }
            stack.afterSend();
            while (State.CONNECTING == state)
            {
                if (!stack.awaitOnce(changed, deadline))
                {
                    // The id is live on the proxy from CONNECT on: abort it there.
                    stack.sendReset(id);
                    stack.afterSend();
                    throw connectTimedOut(remote, timeoutMillis);
                }
            }
            throwIfNotConnecting();
        }
        catch (final IOException | RuntimeException ex)
        {
            if (State.CONNECTED != state)
            {
                stack.counters.connectFailures.incrementRelease();
                if (State.CLOSED != state)
                {
                    release();
                }
            }
            throw ex;
        }
    }

    /**
     * While connecting: nothing; connected: return normally; else throw why not.
     */
    private void throwIfNotConnecting() throws IOException
    {
        switch (state)
        {
            case CLOSED -> throw new AsynchronousCloseException();
            case FAILED -> throw null != failLinkDown ? SocketErrors.linkDown(failLinkDown) :
                null != failText ? new SocketException(failText) :
                SocketErrors.connectFailed(failErrno, remoteAddress);
            default ->
            {
            }
        }
    }

    private static SocketTimeoutException connectTimedOut(final InetSocketAddress remote, final long millis)
    {
        return new SocketTimeoutException("Connect timed out: connect to " + remote + " after " + millis +
            " ms (no CONNECT_RESULT from the proxy)");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Read
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * @param dst where the bytes go.
     * @return bytes read, -1 at end of stream (the peer's FIN, after every byte before it); 0 in non-blocking mode
     *         when nothing is buffered.
     * @throws SocketTimeoutException "Read timed out" after SO_TIMEOUT in blocking mode.
     * @throws SocketException        reset, link down.
     * @throws ClosedChannelException closed.
     */
    @Override
    public int read(final ByteBuffer dst) throws IOException
    {
        Objects.requireNonNull(dst, "dst");
        readLock.lock();
        try
        {
            lock.lock();
            try
            {
                checkNotInHandler();
                if (!dst.hasRemaining())
                {
                    checkReadable(false);
                    return 0;
                }
                if (blocking && 0 == readableLocked())
                {
                    postedDst = dst;
                    postedBytes = 0;
                }
                // -2: the wait ended by an exception after bytes were placed in dst (only those are returned).
                int ready;
                final int direct;
                try
                {
                    ready = awaitReadable(false);
                }
                catch (final IOException ex)
                {
                    if (0 == postedBytes)
                    {
                        throw ex;
                    }
                    // The wait ended by an interrupt, a close, a timeout or a failure after DATA was placed in dst:
                    // those bytes are the caller's now, so this read returns them (and credits them, or the window
                    // would shrink for good); the interrupt status, the close or the failure is the next call's.
                    ready = -2;
                }
                finally
                {
                    direct = postedBytes;
                    postedDst = null;
                    postedBytes = 0;
                }
                if (ready <= 0 && 0 == direct)
                {
                    return ready;
                }
                final int n = direct + (-2 == ready ? 0 : readInto(dst));
                consumed(n);
                return n;
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            readLock.unlock();
        }
    }

    @Override
    public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException
    {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        readLock.lock();
        try
        {
            lock.lock();
            try
            {
                checkNotInHandler();
                boolean any = false;
                for (int i = offset; i < offset + length; i++)
                {
                    any |= dsts[i].hasRemaining();
                }
                if (!any)
                {
                    checkReadable(false);
                    return 0;
                }
                final int ready = awaitReadable(false);
                if (ready <= 0)
                {
                    return ready;
                }
                long total = 0;
                for (int i = offset; i < offset + length && readableLocked() > 0; i++)
                {
                    total += readInto(dsts[i]);
                }
                consumed((int)total);
                return total;
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            readLock.unlock();
        }
    }

    @Override
    public long read(final ByteBuffer[] dsts) throws IOException
    {
        return read(dsts, 0, dsts.length);
    }

    /**
     * Wait, as the mode and SO_TIMEOUT say, until there is something to read.
     *
     * @return bytes buffered (positive), -1 at EOF, 0 when non-blocking and nothing is there.
     */
    private int awaitReadable(final boolean inPlace) throws IOException
    {
        final int timeout = soTimeoutMillis;
        final long deadline = timeout > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout) :
            XtsStack.NO_DEADLINE;
        boolean waited = false;
        while (true)
        {
            checkReadable(waited);
            if (postedBytes > 0)
            {
                return postedBytes;
            }
            final int readable = readableLocked();
            if (readable > 0)
            {
                return readable;
            }
            if (inputShutdown)
            {
                return -1;
            }
            if (State.FAILED == state)
            {
                throw failure();
            }
            if (!blocking)
            {
                return 0;
            }
            if (!stack.awaitOnce(changed, deadline, this, inPlace))
            {
                throw new SocketTimeoutException("Read timed out");
            }
            waited = true;
        }
    }

    private void checkReadable(final boolean waited) throws IOException
    {
        switch (state)
        {
            case CLOSED -> throw waited ? new AsynchronousCloseException() : new ClosedChannelException();
            case UNCONNECTED, CONNECTING -> throw new NotYetConnectedException();
            default ->
            {
            }
        }
    }

    /**
     * @return bytes waiting to be read: those held in their frames, then those in the receive buffer (lock held).
     */
    private int readableLocked()
    {
        return (int)(null == held ? receiveBuffer.readable() : held.bytes() + receiveBuffer.readable());
    }

    /**
     * Copy waiting bytes into {@code dst}, held frames first (each frame goes back to the link once used up), then
     * the receive buffer (lock held).
     *
     * @return bytes copied.
     */
    private int readInto(final ByteBuffer dst)
    {
        int n = 0;
        if (null != held)
        {
            final ByteBuffer view = stack.linkView();
            while (dst.hasRemaining() && held.count() > 0)
            {
                final int chunk = Math.min(dst.remaining(), held.length(0));
                final int at = dst.position();
                if (null != view)
                {
                    dst.put(at, view, (int)held.offset(0), chunk);
                }
                else
                {
                    MemorySegment.copy(stack.linkMemory(), held.offset(0), MemorySegment.ofBuffer(dst), 0, chunk);
                }
                dst.position(at + chunk);
                held.consumeHead(chunk, stack);
                n += chunk;
            }
        }
        return n + receiveBuffer.readInto(dst);
    }

    /**
     * Reading from inside this socket's own {@link StreamHandler} would take bytes behind the ones being handled.
     */
    private void checkNotInHandler()
    {
        if (inHandler && readLock.isHeldByCurrentThread())
        {
            throw new IllegalStateException("cannot read " + this + " from inside its own stream handler");
        }
    }

    /**
     * The app took {@code n} bytes: count them and return credit once a quarter of the window is free again.
     */
    private void consumed(final int n)
    {
        receiveCredit.consumed(n);
        stack.counters.bytesRead.getAndAddRelease(n);
        if (receiveCredit.updateDue() && wantsCredit())
        {
            stack.sendCredit(this);
            stack.afterSend();
        }
    }

    boolean wantsCredit()
    {
        return State.CONNECTED == state && !inputShutdown;
    }

    /**
     * A CREDIT with the current consumed position is going out: remember what the proxy may now send up to.
     *
     * @return the consumed position to advertise.
     */
    long advertiseCredit()
    {
        final long position = receiveCredit.advertise();
        grantedLimit = position + receiveCredit.window();
        return position;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive in place
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Hand the bytes waiting on this socket to {@code handler} where they are, without waiting: up to {@code limit}
     * pieces, in stream order, each in the RX frame its DATA message arrived in (or in the receive buffer, for bytes
     * that had to be set aside: while the link lends frames to sockets for at most half its receive pool, or while
     * older bytes still wait there). Each frame goes back to the link, and the bytes' room to the proxy's credit,
     * only when the handler has returned; the credit leaves in one frame with the link's acknowledgement, one TX
     * kick per batch. The first call switches the socket to receiving in place: from then on DATA stays in its
     * frames until consumed, by this method, {@link #receive}, {@link #transferTo} or the copying reads. Without a
     * poller thread, a call that finds nothing runs one duty cycle of the link first. Allocates nothing.
     * <p>
     * A handler that throws ends the socket: the exception is thrown here, the proxy gets a RESET (the peer an RST),
     * the frames are returned all the same, and later calls fail with a SocketException saying why.
     *
     * @param handler gets each piece; it must not read from this socket.
     * @param limit   most pieces to hand over, positive.
     * @return pieces handed over, 0 when none waits, -1 at end of stream (the peer's FIN, after every byte).
     * @throws SocketException        reset, link down.
     * @throws ClosedChannelException closed.
     * @throws IOException            what the handler threw.
     */
    public int poll(final StreamHandler handler, final int limit) throws IOException
    {
        return deliver(handler, limit, false);
    }

    /**
     * As {@link #poll}, but in blocking mode waits (SO_TIMEOUT applies) until there is at least one piece or the
     * stream ends; in non-blocking mode the same as {@link #poll}.
     *
     * @param handler gets each piece; it must not read from this socket.
     * @param limit   most pieces to hand over, positive.
     * @return pieces handed over (0 only in non-blocking mode), -1 at end of stream.
     * @throws SocketTimeoutException "Read timed out" after SO_TIMEOUT.
     * @throws SocketException        reset, link down.
     * @throws ClosedChannelException closed.
     * @throws IOException            what the handler threw.
     */
    public int receive(final StreamHandler handler, final int limit) throws IOException
    {
        return deliver(handler, limit, blocking);
    }

    /**
     * Write waiting bytes to {@code target} straight from the frames they arrived in (through a ByteBuffer view of
     * the frame memory, so the only copy is the one the target's own write makes, e.g. into the page cache or a
     * pipe). In blocking mode it waits, as {@link #read(ByteBuffer)} does, until there is something; then it writes
     * what waits, up to {@code count} bytes, and returns. Bytes the target did not take (a non-blocking target that
     * is full) stay waiting on the socket; when the target throws, what it took before counts as moved, the rest
     * stays, and the socket is as it was. Switches the socket to receiving in place, as {@link #poll} does.
     *
     * @param target where the bytes go.
     * @param count  most bytes to move, positive.
     * @return bytes moved, 0 in non-blocking mode when none waits (or the target took none), -1 at end of stream.
     * @throws SocketTimeoutException "Read timed out" after SO_TIMEOUT.
     * @throws SocketException        reset, link down.
     * @throws ClosedChannelException closed.
     * @throws IOException            the target's write failed.
     */
    public long transferTo(final WritableByteChannel target, final long count) throws IOException
    {
        Objects.requireNonNull(target, "target");
        if (count <= 0)
        {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        readLock.lock();
        try
        {
            final int n;
            lock.lock();
            try
            {
                final int ready = beginBatch(blocking, MAX_BATCH, count);
                if (ready <= 0)
                {
                    return ready;
                }
                n = ready;
                if (null == frameView)
                {
                    frameView = stack.newLinkView();
                    bufferView = receiveBuffer.newView();
                }
            }
            finally
            {
                lock.unlock();
            }
            long moved = 0;
            try
            {
                for (int i = 0; i < n; i++)
                {
                    final ByteBuffer view = viewOf(i);
                    while (view.hasRemaining())
                    {
                        final int w = target.write(view);
                        if (w <= 0)
                        {
                            break;
                        }
                        moved += w;
                    }
                    if (view.hasRemaining())
                    {
                        break;
                    }
                }
            }
            catch (final Throwable ex)
            {
                // What the target took before it failed is moved; the rest still waits, the socket is as it was.
                endBatch(moved, null);
                throw ex;
            }
            endBatch(moved, null);
            return moved;
        }
        finally
        {
            readLock.unlock();
        }
    }

    private int deliver(final StreamHandler handler, final int limit, final boolean wait) throws IOException
    {
        Objects.requireNonNull(handler, "handler");
        if (limit <= 0)
        {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        readLock.lock();
        try
        {
            final int n;
            lock.lock();
            try
            {
                final int ready = beginBatch(wait, Math.min(limit, MAX_BATCH), Long.MAX_VALUE);
                if (ready <= 0)
                {
                    return ready;
                }
                n = ready;
            }
            finally
            {
                lock.unlock();
            }
            long bytes = 0;
            int done = 0;
            try
            {
                while (done < n)
                {
                    handler.onData(batchBuffer[done], batchOffset[done], batchLength[done]);
                    bytes += batchLength[done];
                    done++;
                }
            }
            catch (final Throwable ex)
            {
                endBatch(bytes, ex);
                throw ex;
            }
            endBatch(bytes, null);
            return done;
        }
        finally
        {
            readLock.unlock();
        }
    }

    /**
     * Start handing waiting bytes over (readLock and lock held): wait or not, then note up to {@code maxPieces}
     * pieces and {@code maxBytes} bytes in the batch arrays, leaving them in place, and mark the socket as in a
     * handler (close and failure then leave its frames alone until {@link #endBatch}).
     *
     * @return pieces in the batch, or what {@link #awaitReadable} said when there are none (0, -1).
     */
    private int beginBatch(final boolean wait, final int maxPieces, final long maxBytes) throws IOException
    {
        checkNotInHandler();
        if (inHandler)
        {
            throw new IllegalStateException("another reader of " + this + " is inside a stream handler");
        }
        if (!receiveInPlace)
        {
            receiveInPlace = true;
            held = new HeldFragments();
            batchBuffer = new MemorySegment[MAX_BATCH];
            batchOffset = new long[MAX_BATCH];
            batchLength = new int[MAX_BATCH];
        }
        int ready;
        if (wait)
        {
            ready = awaitReadable(true);
        }
        else
        {
            ready = readableNow();
            if (0 == ready && !stack.hasPoller())
            {
                stack.cycleLocked(true);
                ready = readableNow();
            }
        }
        if (ready <= 0)
        {
            return ready;
        }
        int n = 0;
        long bytes = 0;
        final MemorySegment linkMemory = stack.linkMemory();
        for (int i = 0; i < held.count() && n < maxPieces && bytes < maxBytes; i++)
        {
            final int length = (int)Math.min(held.length(i), maxBytes - bytes);
            batchBuffer[n] = linkMemory;
            batchOffset[n] = held.offset(i);
            batchLength[n] = length;
            bytes += length;
            n++;
        }
        int skip = 0;
        while (skip < receiveBuffer.readable() && n < maxPieces && bytes < maxBytes)
        {
            final int length = (int)Math.min(receiveBuffer.regionLength(skip), maxBytes - bytes);
            batchBuffer[n] = receiveBuffer.memory();
            batchOffset[n] = receiveBuffer.regionOffset(skip);
            batchLength[n] = length;
            skip += length;
            bytes += length;
            n++;
        }
        batchCount = n;
        inHandler = true;
        return n;
    }

    /**
     * Without waiting: bytes waiting, -1 at end of stream, 0 when none; the failure when failed.
     */
    private int readableNow() throws IOException
    {
        checkReadable(false);
        final int readable = readableLocked();
        if (readable > 0)
        {
            return readable;
        }
        if (inputShutdown)
        {
            return -1;
        }
        if (State.FAILED == state)
        {
            throw failure();
        }
        return 0;
    }

    /**
     * @return a ByteBuffer over batch piece {@code i}: position at its start, limit at its end.
     */
    private ByteBuffer viewOf(final int i)
    {
        final MemorySegment memory = batchBuffer[i];
        final int offset = (int)batchOffset[i];
        if (memory == stack.linkMemory())
        {
            if (null == frameView)
            {
                return memory.asSlice(batchOffset[i], batchLength[i]).asByteBuffer();
            }
            return frameView.limit(offset + batchLength[i]).position(offset);
        }
        return bufferView.limit(offset + batchLength[i]).position(offset);
    }

    /**
     * Finish a batch (readLock held; takes the lock): consume {@code bytes} from the front, giving used-up frames
     * back to the link, and return their credit in one go, with one duty cycle or poller wakeup that carries it and
     * the link's acknowledgement. After a handler threw ({@code thrown} not null) the whole batch is dropped and the
     * socket is reset instead. A close or failure meanwhile left the frames to this method.
     */
    private void endBatch(final long bytes, final Throwable thrown)
    {
        lock.lock();
        try
        {
            inHandler = false;
            long drop = bytes;
            if (null != thrown)
            {
                // The socket ends: what the batch held goes too.
                drop = 0;
                for (int i = 0; i < batchCount; i++)
                {
                    drop += batchLength[i];
                }
            }
            batchCount = 0;
            if (State.CLOSED == state)
            {
                releaseReceived();
                return;
            }
            consumeFront(drop);
            if (null != thrown)
            {
                failByHandler(thrown);
                return;
            }
            if (bytes > 0)
            {
                receiveCredit.consumed((int)bytes);
                stack.counters.bytesRead.getAndAddRelease(bytes);
                final boolean credit = receiveCredit.updateDue() && wantsCredit();
                if (credit)
                {
                    stack.sendCredit(this);
                }
                if (credit || !stack.hasPoller())
                {
                    // One cycle (or poller wakeup) per batch: it sends the credit and the acknowledgement the receive
                    // cycle deferred, together.
                    stack.afterSend();
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Drop {@code bytes} from the front of what waits: held frames first (used-up ones go back), then the receive
     * buffer (lock held).
     */
    private void consumeFront(final long bytes)
    {
        long left = bytes;
        while (left > 0 && held.count() > 0)
        {
            final int chunk = (int)Math.min(left, held.length(0));
            held.consumeHead(chunk, stack);
            left -= chunk;
        }
        if (left > 0)
        {
            receiveBuffer.skip((int)left);
        }
    }

    /**
     * A stream handler threw: the socket ends as on a protocol error (RESET to the proxy), its frames go back.
     */
    private void failByHandler(final Throwable thrown)
    {
        if (State.CONNECTED == state)
        {
            fail(ECONNABORTED, "the stream handler of " + this + " failed: " + thrown);
            stack.sendReset(id);
        }
        held.releaseAll(stack);
        stack.afterSend();
    }

    /**
     * Give back every frame this socket holds and free its receive buffer; with a handler running, that waits for
     * {@link #endBatch} (lock held).
     */
    private void releaseReceived()
    {
        if (inHandler)
        {
            return;
        }
        if (null != held)
        {
            held.releaseAll(stack);
        }
        if (null != receiveBuffer)
        {
            receiveBuffer.free();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Write
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Blocking: write every byte, waiting for the proxy's credit. Non-blocking: as much as the credit and the link
     * allow now, maybe 0. Messages longer than the link carries are split.
     *
     * @param src the bytes.
     * @return bytes written.
     * @throws SocketException        reset, link down.
     * @throws ClosedChannelException closed or output shut down.
     */
    @Override
    public int write(final ByteBuffer src) throws IOException
    {
        Objects.requireNonNull(src, "src");
        writeLock.lock();
        try
        {
            lock.lock();
            try
            {
                return (int)writeLocked(src, blocking);
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            writeLock.unlock();
        }
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException
    {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        writeLock.lock();
        try
        {
            lock.lock();
            try
            {
                final boolean block = blocking;
                long total = 0;
                for (int i = offset; i < offset + length; i++)
                {
                    total += writeLocked(srcs[i], block);
                    if (srcs[i].hasRemaining())
                    {
                        break;
                    }
                }
                return total;
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            writeLock.unlock();
        }
    }

    @Override
    public long write(final ByteBuffer[] srcs) throws IOException
    {
        return write(srcs, 0, srcs.length);
    }

    private long writeLocked(final ByteBuffer src, final boolean block) throws IOException
    {
        long written = 0;
        int chunks = 0;
        boolean waited = false;
        try
        {
            while (src.hasRemaining())
            {
                checkWritable(waited);
                final long credit = sendLimit - sendPosition;
                if (credit <= 0)
                {
                    stack.counters.sendCreditStalls.incrementRelease();
                    if (!block)
                    {
                        break;
                    }
                    stack.awaitOnce(changed, XtsStack.NO_DEADLINE);
                    waited = true;
                    continue;
                }
                final int n = (int)Math.min(Math.min(src.remaining(), credit), stack.maxMessageLength());
                final long body = stack.claimData(id, n);
                if (body < 0)
                {
                    if (!block)
                    {
                        break;
                    }
                    stack.awaitOnce(stack.linkProgress, XtsStack.NO_DEADLINE);
                    waited = true;
                    continue;
                }
                stack.copyIntoLink(body, src, n);
                sendPosition += n;
                written += n;
                if (0 == ++chunks % CHUNKS_PER_LOCK && src.hasRemaining())
                {
                    // Bounded lock hold: get these on the wire and let the poller and other threads in (the lock is
                    // fair, so they go first).
                    stack.afterSend();
                    lock.unlock();
                    lock.lock();
                }
            }
        }
        finally
        {
            if (written > 0)
            {
                stack.counters.bytesWritten.getAndAddRelease(written);
                stack.afterSend();
            }
        }
        return written;
    }

    void checkWritable(final boolean waited) throws IOException
    {
        switch (state)
        {
            case CLOSED -> throw waited ? new AsynchronousCloseException() : new ClosedChannelException();
            case UNCONNECTED, CONNECTING -> throw new NotYetConnectedException();
            case FAILED -> throw failure();
            default ->
            {
            }
        }
        if (outputShutdown)
        {
            throw new ClosedChannelException();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Send in place
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Claim room for bytes to send inside a TX frame of the link, for the app to write them where they will leave
     * (see {@link SendClaim}); then {@link SendClaim#commit(int)} or {@link SendClaim#abort()}. The room is at most
     * {@code length} bytes, and at most one frame's message and the proxy's credit: check
     * {@link SendClaim#length()}. Blocking mode waits for credit and a free frame; non-blocking returns null when
     * there is none now. One claim at a time per socket, from one thread; the stack lock is not held meanwhile. A
     * commit leaves with the next duty cycle: with a poller thread at once (it is woken), without one after every
     * 16th commit, any call that waits, or {@link #flush()}. A claim holds one frame of the link's TX pool until
     * committed or aborted, also after the socket failed or closed. Allocates nothing.
     *
     * @param length bytes wanted, positive.
     * @return the claim (this socket's one flyweight), or null in non-blocking mode.
     * @throws SocketException        reset, link down.
     * @throws ClosedChannelException closed or output shut down.
     * @throws IllegalStateException  a claim is open on this socket.
     */
    public SendClaim claim(final int length) throws IOException
    {
        if (length <= 0)
        {
            throw new IllegalArgumentException("length must be positive, got " + length);
        }
        writeLock.lock();
        try
        {
            lock.lock();
            try
            {
                if (null == sendClaim)
                {
                    sendClaim = new SendClaim(this, stack.linkMemory(), stack.newLinkView());
                }
                if (sendClaim.isOpen())
                {
                    throw new IllegalStateException("a claim on " + this + " is open: commit or abort it first");
                }
                boolean waited = false;
                while (true)
                {
                    checkWritable(waited);
                    final long credit = sendLimit - sendPosition;
                    if (credit <= 0)
                    {
                        stack.counters.sendCreditStalls.incrementRelease();
                        if (!blocking)
                        {
                            return null;
                        }
                        stack.awaitOnce(changed, XtsStack.NO_DEADLINE, this, false);
                        waited = true;
                        continue;
                    }
                    final long frame = stack.claimFrame();
                    if (frame < 0)
                    {
                        if (!blocking)
                        {
                            return null;
                        }
                        stack.awaitOnce(stack.linkProgress, XtsStack.NO_DEADLINE);
                        waited = true;
                        continue;
                    }
                    final int n = (int)Math.min(Math.min(length, credit), stack.maxMessageLength());
                    // Reserved until commit or abort, so that other writers leave the credit to this claim.
                    sendPosition += n;
                    sendClaim.open(frame, XtsLink.frameBody(frame), n);
                    return sendClaim;
                }
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            writeLock.unlock();
        }
    }

    /**
     * {@link SendClaim#commit(int)}: send the claimed frame with {@code bytes} of body, after any write in progress.
     */
    void commitClaim(final SendClaim claim, final int bytes) throws IOException
    {
        writeLock.lock();
        try
        {
            lock.lock();
            try
            {
                final long frame = claim.frame();
                sendPosition -= claim.length();
                claim.close();
                if (0 == bytes)
                {
                    stack.abortFrame(frame);
                    return;
                }
                while (true)
                {
                    try
                    {
                        checkWritable(false);
                    }
                    catch (final IOException | RuntimeException ex)
                    {
                        stack.abortFrame(frame);
                        throw ex;
                    }
                    if (stack.commitFrame(frame, id, bytes))
                    {
                        break;
                    }
                    // The link's credit or window is full for a moment: it frees as the proxy acknowledges.
                    stack.awaitOnce(stack.linkProgress, XtsStack.NO_DEADLINE);
                }
                sendPosition += bytes;
                stack.counters.bytesWritten.getAndAddRelease(bytes);
                if (stack.hasPoller() || ++commitsSinceSend >= CHUNKS_PER_LOCK)
                {
                    commitsSinceSend = 0;
                    stack.afterSend();
                }
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            writeLock.unlock();
        }
    }

    /**
     * {@link SendClaim#abort()}: give the frame and the reserved credit back.
     */
    void abortClaim(final SendClaim claim)
    {
        lock.lock();
        try
        {
            final long frame = claim.frame();
            sendPosition -= claim.length();
            claim.close();
            stack.abortFrame(frame);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Send {@code count} bytes of a file from {@code position}, read straight into TX frames (a positional read per
     * frame into a ByteBuffer view of it: the only copy is the one the kernel makes from the page cache). The file
     * channel's own position is neither used nor changed. Blocking mode sends all of it (or up to the end of the
     * file), waiting for credit; non-blocking mode what the credit allows now. The bytes stay together, as one
     * write's do; the last frames are pushed to the link before it returns.
     *
     * @param src      the file.
     * @param position where in the file to start, at least 0.
     * @param count    most bytes to send, at least 0.
     * @return bytes sent: fewer than {@code count} at the end of the file or in non-blocking mode.
     * @throws SocketException        reset, link down.
     * @throws ClosedChannelException closed or output shut down.
     * @throws IOException            the file's read failed (the bytes sent before stay sent).
     */
    public long transferFrom(final FileChannel src, final long position, final long count) throws IOException
    {
        Objects.requireNonNull(src, "src");
        if (position < 0 || count < 0)
        {
            throw new IllegalArgumentException("position and count must be >= 0, got " + position + ", " + count);
        }
        writeLock.lock();
        try
        {
            long done = 0;
            try
            {
                while (done < count)
                {
                    final SendClaim claim = claim((int)Math.min(count - done, Integer.MAX_VALUE));
                    if (null == claim)
                    {
                        break;
                    }
                    final ByteBuffer dst = claim.byteBuffer();
                    int got = 0;
                    try
                    {
                        while (dst.hasRemaining())
                        {
                            final int n = src.read(dst, position + done + got);
                            if (n < 0)
                            {
                                break;
                            }
                            got += n;
                        }
                    }
                    catch (final IOException | RuntimeException | Error ex)
                    {
                        claim.abort();
                        throw ex;
                    }
                    claim.commit(got);
                    if (0 == got)
                    {
                        break;
                    }
                    done += got;
                }
            }
            finally
            {
                if (done > 0)
                {
                    flush();
                }
            }
            return done;
        }
        finally
        {
            writeLock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Shutdown, close, abort
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Send FIN to the peer after every byte written so far (SHUTDOWN); reading goes on. Later writes fail.
     *
     * @throws IOException closed, not connected, failed.
     */
    public void shutdownOutput() throws IOException
    {
        lock.lock();
        try
        {
            switch (state)
            {
                case CLOSED -> throw new ClosedChannelException();
                case UNCONNECTED, CONNECTING -> throw new NotYetConnectedException();
                case FAILED -> throw failure();
                default ->
                {
                }
            }
            if (outputShutdown)
            {
                return;
            }
            outputShutdown = true;
            stack.sendShutdown(id);
            stack.afterSend();
            signal();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return whether the peer's FIN was seen (reads return -1 once the buffer is drained).
     */
    public boolean isInputShutdown()
    {
        lock.lock();
        try
        {
            return inputShutdown;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return whether {@link #shutdownOutput()} was called.
     */
    public boolean isOutputShutdown()
    {
        lock.lock();
        try
        {
            return outputShutdown;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Close gracefully: the proxy writes what it still holds for the peer, then closes the TCP socket (FIN). Buffered
     * unread bytes are dropped. Threads blocked on this socket get {@link AsynchronousCloseException}. Idempotent.
     */
    @Override
    public void close() throws IOException
    {
        lock.lock();
        try
        {
            if (State.CLOSED != state)
            {
                closeLocked(false);
                stack.afterSend();
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Close abortively: the proxy resets the TCP connection (RST to the peer). Idempotent.
     *
     * @throws IOException never in practice; declared as close() is.
     */
    public void abort() throws IOException
    {
        lock.lock();
        try
        {
            if (State.CLOSED != state)
            {
                closeLocked(true);
                stack.afterSend();
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Close with the lock held: tell the proxy (CLOSE or RESET) when the id is live there, free the buffer, wake
     * everyone.
     */
    void closeLocked(final boolean abort)
    {
        if (State.CLOSED == state)
        {
            return;
        }
        if (State.CONNECTING == state || State.CONNECTED == state)
        {
            if (abort)
            {
                stack.sendReset(id);
            }
            else
            {
                stack.sendClose(id);
            }
        }
        release();
        stack.counters.closed.incrementRelease();
    }

    /** Forget the socket locally: out of the table, memory returned, waiters woken. */
    private void release()
    {
        state = State.CLOSED;
        if (0 != id)
        {
            stack.sockets.remove(id);
        }
        releaseReceived();
        signal();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Modes and options
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * @param block true: reads wait for data and writes for credit; false: they return what is possible now.
     * @return this.
     */
    public XtsSocket configureBlocking(final boolean block)
    {
        this.blocking = block;
        return this;
    }

    /**
     * @return the mode.
     */
    public boolean isBlocking()
    {
        return blocking;
    }

    /**
     * @param millis longest a blocking read waits, 0 for ever.
     */
    public void setSoTimeout(final int millis)
    {
        if (millis < 0)
        {
            throw new IllegalArgumentException("SO_TIMEOUT must be >= 0, got " + millis);
        }
        this.soTimeoutMillis = millis;
    }

    /**
     * @return SO_TIMEOUT in ms, 0 for none.
     */
    public int getSoTimeout()
    {
        return soTimeoutMillis;
    }

    /**
     * Set TCP_NODELAY, SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF or SO_REUSEADDR on the proxy's TCP socket. Before connect
     * the value rides in CONNECT; afterwards a SET_OPTION is sent and its OPTION_RESULT awaited (10 s at most).
     *
     * @param name  the option.
     * @param value its value (buffer sizes >= 0; 0 before connect means the kernel's default).
     * @param <T>   its type.
     * @return this.
     * @throws UnsupportedOperationException for any other option.
     * @throws SocketException               the proxy's errno, or no answer.
     */
    public <T> XtsSocket setOption(final SocketOption<T> name, final T value) throws IOException
    {
        final int option = optionId(name);
        final long wire = validateOption(name, value);
        lock.lock();
        try
        {
            switch (state)
            {
                case CLOSED -> throw new ClosedChannelException();
                case FAILED -> throw failure();
                case UNCONNECTED ->
                {
                    remember(option, wire);
                    return this;
                }
                default ->
                {
                }
            }
            setOptionOnProxy(name, option, wire);
            return this;
        }
        finally
        {
            lock.unlock();
        }
    }

    private void setOptionOnProxy(final SocketOption<?> name, final int option, final long wire) throws IOException
    {
        final long deadline = System.nanoTime() + XtsStack.CONTROL_TIMEOUT_NS;
        while (optionInFlight)
        {
            checkOptionWait(name, deadline, changed);
        }
        optionInFlight = true;
        optionDone = false;
        try
        {
            while (!stack.sendSetOption(id, option, wire))
            {
                checkOptionWait(name, deadline, stack.linkProgress);
            }
            stack.afterSend();
            while (!optionDone)
            {
                checkOptionWait(name, deadline, changed);
            }
            if (0 != optionErrno)
            {
                throw SocketErrors.common(optionErrno, "setting " + name + " to " + wire + " on " + this +
                    (null == optionText || optionText.isEmpty() ? "" : ": " + optionText));
            }
            remember(option, optionValue);
        }
        finally
        {
            optionInFlight = false;
            changed.signalAll();
        }
    }

    private void checkOptionWait(final SocketOption<?> name, final long deadline, final Condition condition)
        throws IOException
    {
        switch (state)
        {
            case CLOSED -> throw new AsynchronousCloseException();
            case FAILED -> throw failure();
            default ->
            {
            }
        }
        if (!stack.awaitOnce(condition, deadline))
        {
            throw new SocketException("no OPTION_RESULT from the proxy for " + name + " on " + this + " within " +
                TimeUnit.NANOSECONDS.toMillis(XtsStack.CONTROL_TIMEOUT_NS) + " ms");
        }
    }

    private void remember(final int option, final long value)
    {
        switch (option)
        {
            case OPTION_TCP_NODELAY -> tcpNoDelay = 0 != value;
            case OPTION_SO_KEEPALIVE -> keepAlive = 0 != value;
            case OPTION_SO_REUSEADDR -> reuseAddress = 0 != value;
            case OPTION_SO_RCVBUF -> receiveBufferSize = (int)Math.min(Integer.MAX_VALUE, value);
            case OPTION_SO_SNDBUF -> sendBufferSize = (int)Math.min(Integer.MAX_VALUE, value);
            default -> throw new IllegalStateException("option " + option);
        }
    }

    /**
     * @param name the option.
     * @param <T>  its type.
     * @return the value set before connect, or in effect as the proxy last reported it; buffer sizes are 0 when
     *         never set (the kernel's default, not known here).
     */
    public <T> T getOption(final SocketOption<T> name)
    {
        final int option = optionId(name);
        lock.lock();
        try
        {
            final Object value = switch (option)
            {
                case OPTION_TCP_NODELAY -> tcpNoDelay;
                case OPTION_SO_KEEPALIVE -> keepAlive;
                case OPTION_SO_REUSEADDR -> reuseAddress;
                case OPTION_SO_RCVBUF -> receiveBufferSize;
                default -> sendBufferSize;
            };
            return name.type().cast(value);
        }
        finally
        {
            lock.unlock();
        }
    }

    private static int optionId(final SocketOption<?> name)
    {
        Objects.requireNonNull(name, "name");
        if (StandardSocketOptions.TCP_NODELAY == name)
        {
            return OPTION_TCP_NODELAY;
        }
        if (StandardSocketOptions.SO_KEEPALIVE == name)
        {
            return OPTION_SO_KEEPALIVE;
        }
        if (StandardSocketOptions.SO_RCVBUF == name)
        {
            return OPTION_SO_RCVBUF;
        }
        if (StandardSocketOptions.SO_SNDBUF == name)
        {
            return OPTION_SO_SNDBUF;
        }
        if (StandardSocketOptions.SO_REUSEADDR == name)
        {
            return OPTION_SO_REUSEADDR;
        }
        throw new UnsupportedOperationException("'" + name + "' not supported by XTS sockets");
    }

    private static long validateOption(final SocketOption<?> name, final Object value)
    {
        if (null == value)
        {
            throw new IllegalArgumentException(name + " needs a value, got null");
        }
        if (value instanceof Boolean b)
        {
            return b ? 1 : 0;
        }
        final int size = (Integer)value;
        if (size < 0)
        {
            throw new IllegalArgumentException(name + " must be >= 0, got " + size);
        }
        return size;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Streams
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * @return a blocking InputStream over this socket (SO_TIMEOUT applies; closing it closes the socket).
     */
    public InputStream getInputStream()
    {
        lock.lock();
        try
        {
            if (null == inputStream)
            {
                inputStream = new SocketInputStream();
            }
            return inputStream;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return a blocking OutputStream over this socket (each write is sent at once; closing it closes the socket).
     */
    public OutputStream getOutputStream()
    {
        lock.lock();
        try
        {
            if (null == outputStream)
            {
                outputStream = new SocketOutputStream();
            }
            return outputStream;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Streams reuse one ByteBuffer over the caller's array while the array stays the same, so a read or write
     * loop with one buffer allocates nothing.
     */
    private abstract class StreamBase
    {
        private byte[] wrappedArray;
        private ByteBuffer wrapped;

        final ByteBuffer wrap(final byte[] bytes, final int offset, final int length)
        {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            if (bytes != wrappedArray)
            {
                wrappedArray = bytes;
                wrapped = ByteBuffer.wrap(bytes);
            }
            wrapped.limit(offset + length).position(offset);
            return wrapped;
        }

        final void requireBlocking()
        {
            if (!blocking)
            {
                throw new IllegalBlockingModeException();
            }
        }
    }

    private final class SocketInputStream extends InputStream
    {
        private final StreamBase buffers = new StreamBase()
        {
        };
        private final byte[] single = new byte[1];

        @Override
        public int read() throws IOException
        {
            final int n = read(single, 0, 1);
            return n < 0 ? -1 : single[0] & 0xFF;
        }

        @Override
        public synchronized int read(final byte[] bytes, final int offset, final int length) throws IOException
        {
            final ByteBuffer dst = buffers.wrap(bytes, offset, length);
            if (0 == length)
            {
                return 0;
            }
            buffers.requireBlocking();
            try
            {
                return XtsSocket.this.read(dst);
            }
            catch (final ClosedChannelException ex)
            {
                throw new SocketException("Socket closed");
            }
            catch (final NotYetConnectedException ex)
            {
                throw new SocketException("Socket is not connected");
            }
        }

        @Override
        public int available()
        {
            lock.lock();
            try
            {
                return State.CONNECTED == state || State.FAILED == state ? readableLocked() : 0;
            }
            finally
            {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException
        {
            XtsSocket.this.close();
        }
    }

    private final class SocketOutputStream extends OutputStream
    {
        private final StreamBase buffers = new StreamBase()
        {
        };
        private final byte[] single = new byte[1];

        @Override
        public void write(final int b) throws IOException
        {
            synchronized (this)
            {
                single[0] = (byte)b;
                write(single, 0, 1);
            }
        }

        @Override
        public synchronized void write(final byte[] bytes, final int offset, final int length) throws IOException
        {
            final ByteBuffer src = buffers.wrap(bytes, offset, length);
            buffers.requireBlocking();
            try
            {
                while (src.hasRemaining())
                {
                    XtsSocket.this.write(src);
                }
            }
            catch (final ClosedChannelException ex)
            {
                throw new SocketException(isOpen() ? "Socket output is shutdown" : "Socket closed");
            }
            catch (final NotYetConnectedException ex)
            {
                throw new SocketException("Socket is not connected");
            }
        }

        @Override
        public void close() throws IOException
        {
            XtsSocket.this.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Addresses and state
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * @return the proxy-side local address of the TCP connection, null before connected.
     */
    public InetSocketAddress getLocalAddress()
    {
        return localAddress;
    }

    /**
     * @return the TCP peer's address (as the proxy reported it), null before connect.
     */
    public InetSocketAddress getRemoteAddress()
    {
        return remoteAddress;
    }

    /**
     * @return the socket id on the link, 0 before connect.
     */
    public int id()
    {
        lock.lock();
        try
        {
            return id;
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public boolean isOpen()
    {
        lock.lock();
        try
        {
            return State.CLOSED != state;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @return whether it connected and is not closed (true also after a reset, as for a SocketChannel).
     */
    public boolean isConnected()
    {
        lock.lock();
        try
        {
            return everConnected && State.CLOSED != state;
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public String toString()
    {
        return "XtsSocket[id " + Integer.toUnsignedString(id) + " to " + remoteAddress + " " + state + "]";
    }

    XtsStack stack()
    {
        return stack;
    }

    /**
     * @return how often this socket was signalled (data, credit, state): what a spinning waiter watches.
     */
    long signals()
    {
        return signals;
    }

    private IOException failure()
    {
        if (null != failLinkDown)
        {
            return SocketErrors.linkDown(failLinkDown);
        }
        if (null != failText)
        {
            return new SocketException(failText);
        }
        return SocketErrors.common(failErrno, "socket " + Integer.toUnsignedString(id) + " to " + remoteAddress);
    }

    private void fail(final int errno, final String text)
    {
        state = State.FAILED;
        failErrno = errno;
        failText = text;
        signal();
    }

    private void signal()
    {
        signals = signals + 1; // one writer (lock held); volatile for a waiter spinning without the lock
        changed.signalAll();
        stack.wakeSleeper(this);
        stack.socketEvent();
        if (State.CONNECTED != state)
        {
            ulp.onSocketFailed();
        }
    }

    /**
     * For selectors, with the lock held.
     *
     * @param interest the key's interest set.
     * @return the ready set within it.
     */
    int readyOps(final int interest)
    {
        int ready = 0;
        if (State.CLOSED == state || State.UNCONNECTED == state || State.CONNECTING == state)
        {
            return 0;
        }
        final boolean failed = State.FAILED == state;
        if (0 != (interest & XtsSelectionKey.OP_READ) && (failed || inputShutdown || readableLocked() > 0))
        {
            ready |= XtsSelectionKey.OP_READ;
        }
        if (0 != (interest & XtsSelectionKey.OP_WRITE) && (failed || !outputShutdown && sendLimit > sendPosition))
        {
            ready |= XtsSelectionKey.OP_WRITE;
        }
        return ready;
    }

    boolean isClosedLocked()
    {
        return State.CLOSED == state;
    }

    /**
     * @return whether connected and not failed (lock held).
     */
    boolean isConnectedLocked()
    {
        return State.CONNECTED == state;
    }

    /**
     * @return the socket id (lock held).
     */
    int idLocked()
    {
        return id;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // NVMe/TCP offload (docs/PROTOCOL.md "NVMe/TCP offload messages")
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Set who receives this socket's ULP messages; before {@link #sendUlpPush}.
     *
     * @param listener the listener, or null.
     */
    public void ulpListener(final UlpListener listener)
    {
        ulp.listener(listener);
    }

    /**
     * Send ULP_PUSH: hand the NVMe/TCP framing of this socket to the proxy. Blocks only while the link is full.
     *
     * @throws IOException the socket is not connected or failed, or the link went down.
     */
    public void sendUlpPush(final boolean headerDigest, final boolean dataDigest, final int cpda, final int hpda,
        final long maxH2cData, final long c2hConsumed, final long h2cSent, final int qid, final int qsize)
        throws IOException
    {
        ulp.sendUlpPush(headerDigest, dataDigest, cpda, hpda, maxH2cData, c2hConsumed, h2cSent, qid, qsize);
    }

    /**
     * Send DDP_SETUP for a command id, before the CapsuleCmd that uses it (the link keeps the order); never awaited.
     *
     * @throws IOException the socket is not connected or failed, or the link went down.
     */
    public void sendDdpSetup(final int cid, final long bufferLength) throws IOException
    {
        ulp.sendDdpSetup(cid, bufferLength);
    }

    /**
     * Send DDP_TEARDOWN (the app cancels a registration).
     *
     * @throws IOException the socket is not connected or failed, or the link went down.
     */
    public void sendDdpTeardown(final int cid, final int reason) throws IOException
    {
        ulp.sendDdpTeardown(cid, reason);
    }

    /**
     * Send RESYNC_RESPONSE.
     *
     * @throws IOException the socket is not connected or failed, or the link went down.
     */
    public void sendResyncResponse(final long streamOffset, final boolean confirmed) throws IOException
    {
        ulp.sendResyncResponse(streamOffset, confirmed);
    }

    /**
     * For a {@link UlpListener}, during its call (lock held): bytes of DATA this socket has received so far, so that
     * a ULP event can be ordered after the DATA that came before it.
     *
     * @return bytes of DATA received.
     */
    public long dataReceived()
    {
        return dataReceived;
    }

    /**
     * Push what was queued (DDP_SETUPs, DATA, committed claims) onto the wire now.
     */
    public void flush()
    {
        lock.lock();
        try
        {
            commitsSinceSend = 0;
            stack.afterSend();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The app processed {@code streamBytes} of the controller-to-host stream that arrived as ULP messages (the PLEN
     * of whole PDUs): count them towards the receive credit exactly as bytes read.
     *
     * @param streamBytes bytes of stream, positive.
     */
    public void ulpConsumed(final long streamBytes)
    {
        if (streamBytes <= 0)
        {
            return;
        }
        lock.lock();
        try
        {
            if (State.CONNECTED != state)
            {
                return;
            }
            receivedPosition += streamBytes;
            for (long left = streamBytes; left > 0; )
            {
                final int n = (int)Math.min(left, Integer.MAX_VALUE);
                consumed(n);
                left -= n;
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * As {@link #ulpConsumed}, from inside a {@link UlpListener} call (the stack's duty cycle, lock held): the credit
     * goes out with this cycle's frames, without waking anyone. For bytes placed straight into their final buffer.
     *
     * @param streamBytes bytes of stream, positive.
     */
    public void ulpConsumedInCycle(final int streamBytes)
    {
        if (streamBytes <= 0 || State.CONNECTED != state)
        {
            return;
        }
        receivedPosition += streamBytes;
        receiveCredit.consumed(streamBytes);
        stack.counters.bytesRead.getAndAddRelease(streamBytes);
        if (receiveCredit.updateDue() && wantsCredit())
        {
            stack.sendCredit(this);
        }
    }

    /**
     * From inside {@link UlpListener#onPlace} (the stack's duty cycle, lock held): keep the link frame holding the
     * placed bytes after the call, so that the application can use them in place, in the link's memory (the
     * {@code memory} the listener was given) until {@link #ulpRelease}. The frame counts against the link's credit
     * meanwhile, and the bytes against this socket's receive credit: keeping frames is backpressure on the proxy,
     * never loss.
     *
     * @return the frame's handle, or -1 when the link keeps as many frames as it allows (the listener must copy the
     *         bytes out during the call and count them with {@link #ulpConsumedInCycle}).
     */
    public long ulpRetainFrame()
    {
        return stack.retainDelivering();
    }

    /**
     * Give back frames {@link #ulpRetainFrame} kept, and count {@code streamBytes} of the stream as consumed (as
     * {@link #ulpConsumed}; the credit is returned only while the socket is connected). Any thread; takes the stack's
     * lock once. The frames go back to the link whatever the socket's state, until the stack is closed.
     *
     * @param frames      handles, each released once per time it was kept.
     * @param count       how many of {@code frames}.
     * @param streamBytes bytes of stream the kept bytes stood for, 0 or more.
     */
    public void ulpRelease(final long[] frames, final int count, final long streamBytes)
    {
        lock.lock();
        try
        {
            for (int i = 0; i < count; i++)
            {
                stack.releaseRetained(frames[i]);
            }
            if (streamBytes > 0 && State.CONNECTED == state)
            {
                receivedPosition += streamBytes;
                for (long left = streamBytes; left > 0; )
                {
                    final int n = (int)Math.min(left, Integer.MAX_VALUE);
                    consumed(n);
                    left -= n;
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * A ULP message from the proxy (lock held).
     *
     * @return false when it was malformed or unexpected (counted by the caller).
     */
    boolean onUlp(final int type, final MemorySegment memory, final long offset, final int length)
    {
        return ulp.onUlp(type, memory, offset, length);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // From the proxy (the stack's dispatcher, lock held)
    // ---------------------------------------------------------------------------------------------------------------

    void onConnectResult(
        final int errno, final long sendWindow, final InetSocketAddress local, final InetSocketAddress remote)
    {
        if (State.CONNECTING != state)
        {
            stack.counters.protocolErrors.incrementRelease();
            return;
        }
        if (0 == errno)
        {
            state = State.CONNECTED;
            everConnected = true;
            sendLimit = sendWindow;
            localAddress = local;
            if (null != remote)
            {
                remoteAddress = remote;
            }
        }
        else
        {
            // The proxy freed the id with a failed result.
            stack.sockets.remove(id);
            state = State.FAILED;
            failErrno = errno;
        }
        signal();
    }

    /**
     * @return false when the proxy sent past the credit (the socket is then failed with EPROTO and must be reset).
     */
    boolean onData(final MemorySegment memory, final long offset, final int length)
    {
        if (State.CONNECTED != state || length <= 0)
        {
            // Failed already (a reset crossing our abort): what was in flight has nowhere to go.
            return true;
        }
        if (inputShutdown || receivedPosition + length > grantedLimit)
        {
            fail(EPROTO, "Protocol error: the proxy sent DATA past the credit granted (" + this + ")");
            return false;
        }
        receivedPosition += length;
        dataReceived = dataReceived + length; // one writer (lock held); volatile for the ULP listener's reader
        if (receiveInPlace && null == postedDst && 0 == receiveBuffer.readable())
        {
            // Receiving in place: the bytes stay in their frame until the app has used them. Only while nothing
            // waits in the receive buffer, which always holds the newest bytes. When the link keeps as many frames
            // as it allows (-1), the bytes are copied into the receive buffer below, now: never lost.
            final long frame = stack.retainDelivering();
            if (-1 != frame)
            {
                held.add(frame, offset, length);
                signal();
                ulp.onDataArrived();
                return true;
            }
        }
        int placed = 0;
        if (null != postedDst && 0 == readableLocked())
        {
            placed = Math.min(length, postedDst.remaining());
            final int at = postedDst.position();
            postedDst.put(at, stack.viewOf(memory), (int)offset, placed);
            postedDst.position(at + placed);
            postedBytes += placed;
        }
        if (placed < length)
        {
            receiveBuffer.append(memory, offset + placed, length - placed);
        }
        signal();
        ulp.onDataArrived();
        return true;
    }

    void onCredit(final long position, final long window)
    {
        final long limit = position + window;
        if (limit > sendLimit)
        {
            sendLimit = limit;
            signal();
        }
    }

    void onShutdown()
    {
        if (State.CONNECTED == state)
        {
            inputShutdown = true;
            signal();
            ulp.onDataArrived();
        }
    }

    void onReset(final int errno)
    {
        if (State.CONNECTED == state || State.CONNECTING == state)
        {
            if (State.CONNECTING == state)
            {
                stack.sockets.remove(id);
            }
            fail(errno, null);
        }
    }

    void onError(final int errno, final int offendingType, final String text)
    {
        switch (offendingType)
        {
            case TYPE_SOCKET_SET_OPTION ->
            {
                if (optionInFlight && !optionDone)
                {
                    optionDone = true;
                    optionErrno = errno;
                    optionText = text;
                    signal();
                }
            }
            case TYPE_SOCKET_CONNECT ->
            {
                if (State.CONNECTING == state)
                {
                    stack.sockets.remove(id);
                    state = State.FAILED;
                    failErrno = errno;
                    signal();
                }
            }
            // The id is gone anyway.
            case TYPE_SOCKET_CLOSE, TYPE_SOCKET_RESET ->
            {
            }
            default ->
            {
                // DATA, CREDIT or SHUTDOWN the proxy could not act on (EBADF: it does not know the id): this
                // connection is unusable.
                if (State.CONNECTED == state)
                {
                    fail(errno, "the proxy could not act on socket " + this + ": " +
                        SocketErrors.fromProxy(errno) + (text.isEmpty() ? "" : ": " + text));
                }
            }
        }
    }

    void onOptionResult(final int option, final int errno, final long value)
    {
        if (optionInFlight && !optionDone)
        {
            optionDone = true;
            optionErrno = errno;
            optionValue = value;
            optionText = null;
            signal();
        }
        else
        {
            stack.counters.protocolErrors.incrementRelease();
        }
    }

    void failLinkDown(final String reason)
    {
        if (State.CONNECTED == state || State.CONNECTING == state)
        {
            state = State.FAILED;
            failLinkDown = reason;
            signal();
        }
    }
}
