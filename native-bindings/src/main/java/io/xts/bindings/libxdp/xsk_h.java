package io.xts.bindings.libxdp;

import io.xts.bindings.NativeLibrary;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The AF_XDP socket API of libxdp, {@code <xdp/xsk.h>}. The ring helpers there are static inline and cannot be bound; {@code io.xts.xsk} implements them in Java.
 * <p>
 * Written in the layout jextract produces (one holder class per function with its descriptor and handle,
 * {@code f$descriptor()}, {@code f$handle()} and a static wrapper calling {@code invokeExact}); the command line
 * that regenerates it is in {@code native-bindings/jextract/}.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName", "checkstyle:ConstantName"})
public final class xsk_h
{
    private xsk_h()
    {
    }

    static final SymbolLookup SYMBOL_LOOKUP = NativeLibrary.library("libxdp1 (libxdp-dev)", "libxdp.so.1", "libxdp.so");

    /** Default consumer ring size. */
    public static final int XSK_RING_CONS__DEFAULT_NUM_DESCS = 2048;

    /** Default producer ring size. */
    public static final int XSK_RING_PROD__DEFAULT_NUM_DESCS = 2048;

    /** Default frame size shift. */
    public static final int XSK_UMEM__DEFAULT_FRAME_SHIFT = 12;

    /** Default frame size, 4096. */
    public static final int XSK_UMEM__DEFAULT_FRAME_SIZE = 1 << 12;

    /** Default frame headroom. */
    public static final int XSK_UMEM__DEFAULT_FRAME_HEADROOM = 0;

    /** libxdp_flags: do not load libxdp's default program; we attach our own. */
    public static final int XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD = 1;

    private static final class xsk_umem__create
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_umem__create", DESC);
    }

    /**
     * @return the C signature of {@code xsk_umem__create}.
     */
    public static FunctionDescriptor xsk_umem__create$descriptor()
    {
        return xsk_umem__create.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_umem__create}.
     */
    public static MethodHandle xsk_umem__create$handle()
    {
        return xsk_umem__create.HANDLE;
    }

    /**
     * int xsk_umem__create(struct xsk_umem **umem, void *umem_area, __u64 size, struct xsk_ring_prod *fill, struct xsk_ring_cons *comp, const struct xsk_umem_config *config); returns 0 or -errno.
     * @param umem C argument {@code umem}.
     * @param umem_area C argument {@code umem_area}.
     * @param size C argument {@code size}.
     * @param fill C argument {@code fill}.
     * @param comp C argument {@code comp}.
     * @param config C argument {@code config}.
     * @return what the C function returns.
     */
    public static int xsk_umem__create(final MemorySegment umem, final MemorySegment umem_area, final long size, final MemorySegment fill, final MemorySegment comp, final MemorySegment config)
    {
        try
        {
            return (int)xsk_umem__create.HANDLE.invokeExact(umem, umem_area, size, fill, comp, config);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_umem__create failed", ex);
        }
    }

    private static final class xsk_socket__create
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_socket__create", DESC);
    }

    /**
     * @return the C signature of {@code xsk_socket__create}.
     */
    public static FunctionDescriptor xsk_socket__create$descriptor()
    {
        return xsk_socket__create.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_socket__create}.
     */
    public static MethodHandle xsk_socket__create$handle()
    {
        return xsk_socket__create.HANDLE;
    }

    /**
     * int xsk_socket__create(struct xsk_socket **xsk, const char *ifname, __u32 queue_id, struct xsk_umem *umem, struct xsk_ring_cons *rx, struct xsk_ring_prod *tx, const struct xsk_socket_config *config); returns 0 or -errno.
     * @param xsk C argument {@code xsk}.
     * @param ifname C argument {@code ifname}.
     * @param queue_id C argument {@code queue_id}.
     * @param umem C argument {@code umem}.
     * @param rx C argument {@code rx}.
     * @param tx C argument {@code tx}.
     * @param config C argument {@code config}.
     * @return what the C function returns.
     */
    public static int xsk_socket__create(final MemorySegment xsk, final MemorySegment ifname, final int queue_id, final MemorySegment umem, final MemorySegment rx, final MemorySegment tx, final MemorySegment config)
    {
        try
        {
            return (int)xsk_socket__create.HANDLE.invokeExact(xsk, ifname, queue_id, umem, rx, tx, config);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_socket__create failed", ex);
        }
    }

    private static final class xsk_socket__create_shared
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_socket__create_shared", DESC);
    }

    /**
     * @return the C signature of {@code xsk_socket__create_shared}.
     */
    public static FunctionDescriptor xsk_socket__create_shared$descriptor()
    {
        return xsk_socket__create_shared.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_socket__create_shared}.
     */
    public static MethodHandle xsk_socket__create_shared$handle()
    {
        return xsk_socket__create_shared.HANDLE;
    }

    /**
     * int xsk_socket__create_shared(...): like xsk_socket__create with its own fill and completion rings on a shared UMEM.
     * @param xsk C argument {@code xsk}.
     * @param ifname C argument {@code ifname}.
     * @param queue_id C argument {@code queue_id}.
     * @param umem C argument {@code umem}.
     * @param rx C argument {@code rx}.
     * @param tx C argument {@code tx}.
     * @param fill C argument {@code fill}.
     * @param comp C argument {@code comp}.
     * @param config C argument {@code config}.
     * @return what the C function returns.
     */
    public static int xsk_socket__create_shared(final MemorySegment xsk, final MemorySegment ifname, final int queue_id, final MemorySegment umem, final MemorySegment rx, final MemorySegment tx, final MemorySegment fill, final MemorySegment comp, final MemorySegment config)
    {
        try
        {
            return (int)xsk_socket__create_shared.HANDLE.invokeExact(xsk, ifname, queue_id, umem, rx, tx, fill, comp, config);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_socket__create_shared failed", ex);
        }
    }

    private static final class xsk_socket__fd
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_socket__fd", DESC, Linker.Option.critical(false));
    }

    /**
     * @return the C signature of {@code xsk_socket__fd}.
     */
    public static FunctionDescriptor xsk_socket__fd$descriptor()
    {
        return xsk_socket__fd.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_socket__fd}.
     */
    public static MethodHandle xsk_socket__fd$handle()
    {
        return xsk_socket__fd.HANDLE;
    }

    /**
     * int xsk_socket__fd(const struct xsk_socket *xsk).
     * @param xsk C argument {@code xsk}.
     * @return what the C function returns.
     */
    public static int xsk_socket__fd(final MemorySegment xsk)
    {
        try
        {
            return (int)xsk_socket__fd.HANDLE.invokeExact(xsk);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_socket__fd failed", ex);
        }
    }

    private static final class xsk_umem__fd
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_umem__fd", DESC, Linker.Option.critical(false));
    }

    /**
     * @return the C signature of {@code xsk_umem__fd}.
     */
    public static FunctionDescriptor xsk_umem__fd$descriptor()
    {
        return xsk_umem__fd.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_umem__fd}.
     */
    public static MethodHandle xsk_umem__fd$handle()
    {
        return xsk_umem__fd.HANDLE;
    }

    /**
     * int xsk_umem__fd(const struct xsk_umem *umem).
     * @param umem C argument {@code umem}.
     * @return what the C function returns.
     */
    public static int xsk_umem__fd(final MemorySegment umem)
    {
        try
        {
            return (int)xsk_umem__fd.HANDLE.invokeExact(umem);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_umem__fd failed", ex);
        }
    }

    private static final class xsk_socket__update_xskmap
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_socket__update_xskmap", DESC);
    }

    /**
     * @return the C signature of {@code xsk_socket__update_xskmap}.
     */
    public static FunctionDescriptor xsk_socket__update_xskmap$descriptor()
    {
        return xsk_socket__update_xskmap.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_socket__update_xskmap}.
     */
    public static MethodHandle xsk_socket__update_xskmap$handle()
    {
        return xsk_socket__update_xskmap.HANDLE;
    }

    /**
     * int xsk_socket__update_xskmap(struct xsk_socket *xsk, int xsks_map_fd); returns 0 or -errno.
     * @param xsk C argument {@code xsk}.
     * @param xsks_map_fd C argument {@code xsks_map_fd}.
     * @return what the C function returns.
     */
    public static int xsk_socket__update_xskmap(final MemorySegment xsk, final int xsks_map_fd)
    {
        try
        {
            return (int)xsk_socket__update_xskmap.HANDLE.invokeExact(xsk, xsks_map_fd);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_socket__update_xskmap failed", ex);
        }
    }

    private static final class xsk_umem__delete
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_umem__delete", DESC);
    }

    /**
     * @return the C signature of {@code xsk_umem__delete}.
     */
    public static FunctionDescriptor xsk_umem__delete$descriptor()
    {
        return xsk_umem__delete.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_umem__delete}.
     */
    public static MethodHandle xsk_umem__delete$handle()
    {
        return xsk_umem__delete.HANDLE;
    }

    /**
     * int xsk_umem__delete(struct xsk_umem *umem); returns 0 or -EBUSY while a socket still uses it.
     * @param umem C argument {@code umem}.
     * @return what the C function returns.
     */
    public static int xsk_umem__delete(final MemorySegment umem)
    {
        try
        {
            return (int)xsk_umem__delete.HANDLE.invokeExact(umem);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_umem__delete failed", ex);
        }
    }

    private static final class xsk_socket__delete
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xsk_socket__delete", DESC);
    }

    /**
     * @return the C signature of {@code xsk_socket__delete}.
     */
    public static FunctionDescriptor xsk_socket__delete$descriptor()
    {
        return xsk_socket__delete.DESC;
    }

    /**
     * @return the downcall handle of {@code xsk_socket__delete}.
     */
    public static MethodHandle xsk_socket__delete$handle()
    {
        return xsk_socket__delete.HANDLE;
    }

    /**
     * void xsk_socket__delete(struct xsk_socket *xsk).
     * @param xsk C argument {@code xsk}.
     */
    public static void xsk_socket__delete(final MemorySegment xsk)
    {
        try
        {
            xsk_socket__delete.HANDLE.invokeExact(xsk);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xsk_socket__delete failed", ex);
        }
    }

}
