package io.xts.link;

import io.xts.xsk.AttachMode;
import io.xts.xsk.BindMode;
import io.xts.xsk.LossyProgram;
import io.xts.xsk.PeerFilter;
import io.xts.xsk.MacAddress;
import io.xts.xsk.Umem;
import io.xts.xsk.XdpProgram;
import io.xts.xsk.XskSocket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One end of an XTS link on an AF_XDP interface, set up and torn down as a unit: the XDP program that steers XTS frames
 * to the socket (the steering program; the loss-injecting variant only when a test asks for loss), a UMEM, a socket
 * with RX and TX rings on it, and the {@link XskFrameTransport} over both, with frames no longer than the interface's
 * MTU allows and the interface's MAC address for the link's frames. It holds what every AF_XDP user of {@link XtsLink}
 * (the {@code xts link-stream} tool, the proxy, tests) would otherwise assemble by hand, in the one order that works
 * (the socket joins the XSKMAP only once the transport has stocked the fill ring), and releases it exactly once, in
 * reverse order, also when {@link #open} fails half way. Like the transport, an endpoint belongs to one thread.
 */
public final class XskLinkEndpoint implements AutoCloseable
{
    /** UMEM frame size: the larger one the UMEM allows, so frames can use an MTU above 1500 (packets to 3840). */
    private static final int FRAME_SIZE = 4096;
    /** Ethernet header (no VLAN tag) on top of the MTU, which counts only the payload. */
    private static final int ETHERNET_HEADER = 14;
    /** MTU assumed when sysfs does not say: Ethernet's. */
    private static final int DEFAULT_MTU = 1500;
    /** The link does not resolve its peer's MAC (no ARP for EtherType 0x88B5), so it sends to broadcast. */
    private static final long BROADCAST = 0xFF_FF_FF_FF_FF_FFL;
    /** A locally administered unicast address, so a link still comes up where the real one cannot be read. */
    private static final long FALLBACK_MAC = 0x02_00_00_00_00_01L;
    /** Attempts at binding while an earlier socket on the queue is still being torn down (asynchronously). */
    private static final int BIND_RETRIES = 20;

    /**
     * What to open.
     *
     * @param iface   interface in the calling thread's network namespace.
     * @param queue   its queue id.
     * @param attach  how the XDP program is attached.
     * @param frames  UMEM frames (4096 bytes each): RX gets min(half, {@code ring}), TX the rest.
     * @param ring    entries of each ring (RX, TX, fill, completion); a power of two.
     * @param lossPpm XTS frames the XDP program drops per million received, to exercise loss recovery; 0 for none.
     */
    public record Config(String iface, int queue, AttachMode attach, int frames, int ring, int lossPpm)
    {
        /** Validates where the values enter, with messages naming the value. */
        public Config
        {
            Objects.requireNonNull(iface, "iface");
            Objects.requireNonNull(attach, "attach");
            // IFNAMSIZ is 16 with the terminating NUL.
            if (iface.isEmpty() || iface.length() > 15)
            {
                throw new IllegalArgumentException("interface name must be 1-15 characters, got '" + iface + "'");
            }
            if (queue < 0)
            {
                throw new IllegalArgumentException("queue must be >= 0, got " + queue);
            }
            // The transport needs at least one frame for each direction.
            if (frames < 2)
            {
                throw new IllegalArgumentException("frames must be >= 2 (one for RX, one for TX), got " + frames);
            }
            // libxdp's rings index with a mask, so their sizes must be powers of two.
            if (ring <= 0 || 0 != (ring & (ring - 1)))
            {
                throw new IllegalArgumentException("ring size must be a power of two, got " + ring);
            }
            if (lossPpm < 0 || lossPpm > LossyProgram.ALWAYS)
            {
                throw new IllegalArgumentException(
                    "loss must be 0.." + LossyProgram.ALWAYS + " ppm, got " + lossPpm);
            }
        }

        /**
         * @param iface interface in the calling thread's network namespace.
         * @return queue 0, native attach, 20480 frames, 8192-entry rings, no injected loss.
         */
        public static Config defaults(final String iface)
        {
            return new Config(iface, 0, AttachMode.NATIVE, 20480, 8192, 0);
        }
    }

    private final Config config;
    private final AutoCloseable program;
    private final LossyProgram lossy;
    private final Umem umem;
    private final XskSocket socket;
    private final XskFrameTransport transport;
    private final int mtu;
    private final long mac;
    private boolean closed;

    private XskLinkEndpoint(
        final Config config, final AutoCloseable program, final LossyProgram lossy, final Umem umem,
        final XskSocket socket,
        final XskFrameTransport transport, final int mtu, final long mac)
    {
        this.config = config;
        this.program = program;
        this.lossy = lossy;
        this.umem = umem;
        this.socket = socket;
        this.transport = transport;
        this.mtu = mtu;
        this.mac = mac;
    }

    /**
     * Attach the XDP program, create the UMEM and the socket, build the transport and register the socket with the
     * program. On failure everything made so far is released before the exception propagates.
     *
     * @param config what to open.
     * @return the open endpoint; close it.
     * @throws io.xts.xsk.XskException when libxdp or the kernel refuses a step.
     * @throws IllegalArgumentException when the sizes do not fit together.
     */
    public static XskLinkEndpoint open(final Config config)
    {
        Objects.requireNonNull(config, "config");
        final int mtu = interfaceMtu(config.iface());
        final long mac = macOf(config.iface());
        // Loss injection is a test option: production endpoints run the plain steering program.
        final LossyProgram lossy = config.lossPpm() > 0 ? LossyProgram.attach(config.iface(), config.attach()) : null;
        final AutoCloseable attached;
        final XdpProgram program;
        if (null != lossy)
        {
            attached = lossy;
            program = lossy.program();
        }
        else
        {
            program = XdpProgram.steering(config.iface(), config.attach(), false);
            attached = program;
        }
        Umem umem = null;
        XskSocket socket = null;
        XskFrameTransport transport = null;
        try
        {
            if (null != lossy)
            {
                lossy.setDropPartsPerMillion(config.lossPpm());
            }
            umem = new Umem(new Umem.Config(config.frames(), FRAME_SIZE, 0, config.ring(), config.ring()));
            // No program yet: registered only once the transport has stocked the fill ring, so that no frame is
            // steered to a socket with nowhere to put it.
            socket = XskSocket.open(new XskSocket.Config(config.iface(), config.queue(), config.ring(), config.ring(),
                BindMode.COPY, true, false, BIND_RETRIES), umem, null);
            // More TX frames than the peer can grant credit for, so the peer's credit (not a shortage of our own
            // frames) is what holds a sender back.
            final int rxFrames = Math.min(config.frames() / 2, config.ring());
            // Frames must fit the interface's MTU: a veth silently drops anything longer.
            final int maxFrame = Math.min(umem.config().maxPacket(), mtu + ETHERNET_HEADER);
            transport = new XskFrameTransport(socket, umem, config.frames() - rxFrames, rxFrames, maxFrame);
            transport.usePeerFilter(new PeerFilter(program, config.queue()));
            socket.registerWith(program);
            return new XskLinkEndpoint(config, attached, lossy, umem, socket, transport, mtu, mac);
        }
        catch (final Throwable ex)
        {
            final Throwable suppressed = release(transport, socket, umem, attached);
            if (null != suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    /**
     * Close in reverse order of opening: the transport (which closes the socket and then the UMEM), the socket and
     * the UMEM themselves in case there was no transport (their close is idempotent), then the program is detached.
     * Every step runs even when an earlier one fails.
     *
     * @return the first failure, with any later ones suppressed in it; null when all went well.
     */
    private static Throwable release(
        final XskFrameTransport transport, final XskSocket socket, final Umem umem, final AutoCloseable program)
    {
        Throwable failure = null;
        failure = closeQuietly(transport, failure);
        failure = closeQuietly(socket, failure);
        failure = closeQuietly(umem, failure);
        failure = closeQuietly(program, failure);
        return failure;
    }

    private static Throwable closeQuietly(final AutoCloseable resource, final Throwable failure)
    {
        if (null == resource)
        {
            return failure;
        }
        try
        {
            resource.close();
            return failure;
        }
        catch (final Throwable ex)
        {
            if (null == failure)
            {
                return ex;
            }
            failure.addSuppressed(ex);
            return failure;
        }
    }

    /**
     * @return what was opened.
     */
    public Config config()
    {
        return config;
    }

    /**
     * @return the transport to build an {@link XtsLink} on.
     */
    public XskFrameTransport transport()
    {
        return transport;
    }

    /**
     * @return the socket, e.g. for its kernel statistics.
     */
    public XskSocket socket()
    {
        return socket;
    }

    /**
     * @return the loss-injecting program when the config asked for loss, for its setting and counters; otherwise
     *     null (the plain steering program is attached).
     */
    public LossyProgram lossy()
    {
        return lossy;
    }

    /**
     * @return the interface's MTU when opened (1500 when sysfs did not say).
     */
    public int mtu()
    {
        return mtu;
    }

    /**
     * @return the interface's MAC address in the low 48 bits (02:00:00:00:00:01 when it could not be read).
     */
    public long mac()
    {
        return mac;
    }

    /**
     * @return the default link configuration with this interface's MAC as source and broadcast as destination.
     */
    public LinkConfig linkConfig()
    {
        return LinkConfig.defaults().macs(mac, BROADCAST);
    }

    /**
     * Release the transport, socket, UMEM and XDP program, in that order, exactly once; later calls do nothing.
     * Every step runs even when an earlier one fails; the first failure is then thrown.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final Throwable failure = release(transport, socket, umem, program);
        if (failure instanceof RuntimeException ex)
        {
            throw ex;
        }
        if (failure instanceof Error err)
        {
            throw err;
        }
        if (null != failure)
        {
            // None of the four close methods declares a checked exception; this only keeps the compiler content.
            throw new IllegalStateException("closing " + this + " failed", failure);
        }
    }

    @Override
    public String toString()
    {
        return "XskLinkEndpoint[" + config.iface() + " q" + config.queue() + "]";
    }

    private static int interfaceMtu(final String ifname)
    {
        try
        {
            return Integer.parseInt(Files.readString(Path.of("/sys/class/net/" + ifname + "/mtu")).trim());
        }
        catch (final IOException | NumberFormatException ex)
        {
            return DEFAULT_MTU;
        }
    }

    private static long macOf(final String ifname)
    {
        final byte[] bytes;
        try
        {
            bytes = MacAddress.ofInterface(ifname);
        }
        catch (final RuntimeException ex)
        {
            return FALLBACK_MAC;
        }
        long value = 0;
        for (final byte b : bytes)
        {
            value = (value << 8) | (b & 0xFF);
        }
        return value;
    }
}
