package io.xts.xsk;

import io.xts.bindings.libbpf.libbpf_h;
import io.xts.bindings.libc.libc_h;
import io.xts.bindings.libxdp.libxdp_h;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Set;

/**
 * An XDP program loaded through libxdp and attached to one interface, with the XSKMAP that steers frames to
 * AF_XDP sockets. The bundled steering program ({@link #steering}) redirects frames of EtherType 0x88B5 arriving on
 * queue q to the socket in slot q and passes every other frame to the kernel, so ordinary traffic (ARP, ping, TCP)
 * keeps working on the interface. Closing detaches and unloads it, exactly once.
 */
public final class XdpProgram implements AutoCloseable
{
    /** Name of the XSKMAP in our programs. */
    public static final String XSK_MAP = "xsks_map";

    private final String ifname;
    private final int ifindex;
    private final AttachMode mode;
    private final MemorySegment program;
    private final int xskMapFd;
    private final Arena arena = Arena.ofShared();
    /** The namespace the program was attached in: interface indexes mean something only there, and a program may be
     * closed from a thread in another namespace (a test that opened it on a thread that entered one). */
    private final int netns;
    private boolean attached;
    private boolean closed;

    private XdpProgram(final String ifname, final Path objectFile, final String section, final AttachMode mode)
    {
        this.ifname = ifname;
        this.mode = mode;
        final String where = ifname + " (" + mode.name().toLowerCase(Locale.ROOT) + " attach)";
        MemorySegment prog = MemorySegment.NULL;
        final int index;
        try
        {
            index = interfaceIndex(ifname);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
        ifindex = index;
        netns = NetworkNamespace.current();
        try
        {
            prog = libxdp_h.xdp_program__open_file(
                arena.allocateFrom(objectFile.toString()), arena.allocateFrom(section), MemorySegment.NULL);
            final long err = libxdp_h.libxdp_get_error(prog);
            if (0 != err || MemorySegment.NULL.equals(prog))
            {
                prog = MemorySegment.NULL;
                throw new XskException("xdp_program__open_file", objectFile + " section " + section, (int)err);
            }
            int rc = libxdp_h.xdp_program__attach(prog, ifindex, mode.libxdpMode(), 0);
            if (-libc_h.EBUSY == rc || libc_h.EBUSY == rc)
            {
                // A program is attached already. One of ours left by a process that was killed (netlink-attached XDP
                // outlives its process) is replaced; anyone else's is left alone.
                if (detachStaleProgram(ifname, ifindex))
                {
                    rc = libxdp_h.xdp_program__attach(prog, ifindex, mode.libxdpMode(), 0);
                }
            }
            if (0 != rc)
            {
                throw new XskException("xdp_program__attach", where, rc);
            }
            attached = true;
            final int fd = libbpf_h.bpf_object__find_map_fd_by_name(
                libxdp_h.xdp_program__bpf_obj(prog), arena.allocateFrom(XSK_MAP));
            if (fd < 0)
            {
                throw new XskException("bpf_object__find_map_fd_by_name(" + XSK_MAP + ")", where, fd);
            }
            xskMapFd = fd;
            program = prog;
        }
        catch (final RuntimeException ex)
        {
            if (attached)
            {
                libxdp_h.xdp_program__detach(prog, index, mode.libxdpMode(), 0);
            }
            if (!MemorySegment.NULL.equals(prog))
            {
                libxdp_h.xdp_program__close(prog);
            }
            NetworkNamespace.release(netns);
            arena.close();
            throw ex;
        }
    }

    /** Programs of ours, by the name of their function: a stale one of these may be replaced. */
    private static final Set<String> OUR_PROGRAMS = Set.of("xts_steer", "xts_lossy");

    /**
     * Detach the XDP program attached to an interface if it is one of ours (left behind by a killed process).
     *
     * @param ifname  interface name, for messages.
     * @param ifindex interface index.
     * @return true when one of ours was detached; false when there was none or it belongs to someone else.
     * @throws XskException when a foreign program is attached, naming it.
     */
    static boolean detachStaleProgram(final String ifname, final int ifindex)
    {
        final MemorySegment mp = libxdp_h.xdp_multiprog__get_from_ifindex(ifindex);
        if (0 != libxdp_h.libxdp_get_error(mp) || MemorySegment.NULL.equals(mp))
        {
            return false;
        }
        try
        {
            final MemorySegment main = libxdp_h.xdp_multiprog__main_prog(mp);
            final String name = MemorySegment.NULL.equals(main) ? "?" :
                libxdp_h.xdp_program__name(main).reinterpret(256).getString(0);
            if (0 == libxdp_h.xdp_multiprog__is_legacy(mp) || !OUR_PROGRAMS.contains(name))
            {
                throw new XskException("xdp_program__attach", ifname, "another XDP program is attached (" + name +
                    "); detach it first (ip link set dev " + ifname + " xdp off) if it is not in use");
            }
            final int rc = libxdp_h.xdp_multiprog__detach(mp);
            if (0 != rc)
            {
                throw new XskException("xdp_multiprog__detach (stale " + name + ")", ifname, rc);
            }
            return true;
        }
        finally
        {
            libxdp_h.xdp_multiprog__close(mp);
        }
    }

    /**
     * Load and attach the bundled steering program.
     *
     * @param ifname interface in the calling thread's network namespace.
     * @param mode   native or generic attach.
     * @param frags  the frags-aware variant, needed for multi-buffer (XDP_USE_SG) sockets.
     * @return the attached program.
     */
    public static XdpProgram steering(final String ifname, final AttachMode mode, final boolean frags)
    {
        final String name = frags ? "xts_steer_frags.o" : "xts_steer.o";
        return attach(ifname, extractResource(name), frags ? "xdp.frags" : "xdp", mode);
    }

    /**
     * Load and attach a program from an object file; it must define an XSKMAP named {@value #XSK_MAP}.
     *
     * @param ifname     interface.
     * @param objectFile the BPF object.
     * @param section    the program's section, e.g. "xdp".
     * @param mode       attach mode.
     * @return the attached program.
     */
    public static XdpProgram attach(
        final String ifname, final Path objectFile, final String section, final AttachMode mode)
    {
        return new XdpProgram(ifname, objectFile, section, mode);
    }

    /**
     * @param ifname an interface name.
     * @return its index in the calling thread's network namespace.
     * @throws XskException when there is no such interface.
     */
    public static int interfaceIndex(final String ifname)
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment errno = libc_h.allocateErrnoState(a);
            final int index = libc_h.if_nametoindex(errno, a.allocateFrom(ifname));
            if (0 == index)
            {
                throw new XskException("if_nametoindex", ifname, libc_h.errno(errno));
            }
            return index;
        }
    }

    static Path extractResource(final String name)
    {
        final String resource = "/io/xts/xsk/bpf/" + name;
        try (InputStream in = XdpProgram.class.getResourceAsStream(resource))
        {
            if (null == in)
            {
                throw new IllegalStateException("XDP object " + resource + " is not on the classpath: build " +
                    "native-bindings with clang installed (scripts/setup)");
            }
            final Path file = Files.createTempFile("xts-", "-" + name);
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot extract " + resource, ex);
        }
    }

    /**
     * @return fd of the XSKMAP; sockets register themselves with {@code xsk_socket__update_xskmap}.
     */
    public int xskMapFd()
    {
        return xskMapFd;
    }

    /**
     * Look up another map of the loaded program, e.g. a configuration or statistics map.
     *
     * @param name the map's name in the BPF object.
     * @return its fd, owned by the program (valid until {@link #close()}).
     * @throws XskException when the object has no such map.
     */
    public int mapFd(final String name)
    {
        try (Arena a = Arena.ofConfined())
        {
            final int fd = libbpf_h.bpf_object__find_map_fd_by_name(
                libxdp_h.xdp_program__bpf_obj(program), a.allocateFrom(name));
            if (fd < 0)
            {
                throw new XskException("bpf_object__find_map_fd_by_name(" + name + ")", ifname, fd);
            }
            return fd;
        }
    }

    /**
     * @return the interface it is attached to.
     */
    public String interfaceName()
    {
        return ifname;
    }

    /**
     * @return the interface index.
     */
    public int interfaceIndex()
    {
        return ifindex;
    }

    /**
     * @return the attach mode.
     */
    public AttachMode mode()
    {
        return mode;
    }

    /**
     * Detach from the interface and unload, exactly once.
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
            final int rc = NetworkNamespace.callIn(netns,
                () -> libxdp_h.xdp_program__detach(program, ifindex, mode.libxdpMode(), 0));
            if (0 != rc)
            {
                throw new XskException("xdp_program__detach", ifname, rc);
            }
        }
        finally
        {
            libxdp_h.xdp_program__close(program);
            NetworkNamespace.release(netns);
            arena.close();
        }
    }
}
