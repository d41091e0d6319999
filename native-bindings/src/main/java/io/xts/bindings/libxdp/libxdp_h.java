package io.xts.bindings.libxdp;

import io.xts.bindings.NativeLibrary;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The XDP program API of libxdp, {@code <xdp/libxdp.h>}: load our steering program from an object file, attach and detach it in native or generic (SKB) mode.
 * <p>
 * Written in the layout jextract produces (one holder class per function with its descriptor and handle,
 * {@code f$descriptor()}, {@code f$handle()} and a static wrapper calling {@code invokeExact}); the command line
 * that regenerates it is in {@code native-bindings/jextract/}.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName", "checkstyle:ConstantName"})
public final class libxdp_h
{
    private libxdp_h()
    {
    }

    static final SymbolLookup SYMBOL_LOOKUP = NativeLibrary.library("libxdp1 (libxdp-dev)", "libxdp.so.1", "libxdp.so");

    /** enum xdp_attach_mode: let libxdp choose. */
    public static final int XDP_MODE_UNSPEC = 0;

    /** enum xdp_attach_mode: driver (native) mode. */
    public static final int XDP_MODE_NATIVE = 1;

    /** enum xdp_attach_mode: generic (SKB) mode. */
    public static final int XDP_MODE_SKB = 2;

    /** enum xdp_attach_mode: offloaded to hardware. */
    public static final int XDP_MODE_HW = 3;

    private static final class xdp_program__open_file
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__open_file", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__open_file}.
     */
    public static FunctionDescriptor xdp_program__open_file$descriptor()
    {
        return xdp_program__open_file.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__open_file}.
     */
    public static MethodHandle xdp_program__open_file$handle()
    {
        return xdp_program__open_file.HANDLE;
    }

    /**
     * struct xdp_program *xdp_program__open_file(const char *filename, const char *section_name, struct bpf_object_open_opts *opts); check with libxdp_get_error.
     * @param filename C argument {@code filename}.
     * @param section_name C argument {@code section_name}.
     * @param opts C argument {@code opts}.
     * @return what the C function returns.
     */
    public static MemorySegment xdp_program__open_file(final MemorySegment filename, final MemorySegment section_name, final MemorySegment opts)
    {
        try
        {
            return (MemorySegment)xdp_program__open_file.HANDLE.invokeExact(filename, section_name, opts);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__open_file failed", ex);
        }
    }

    private static final class xdp_program__attach
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__attach", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__attach}.
     */
    public static FunctionDescriptor xdp_program__attach$descriptor()
    {
        return xdp_program__attach.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__attach}.
     */
    public static MethodHandle xdp_program__attach$handle()
    {
        return xdp_program__attach.HANDLE;
    }

    /**
     * int xdp_program__attach(struct xdp_program *prog, int ifindex, enum xdp_attach_mode mode, unsigned int flags); returns 0 or -errno.
     * @param xdp_prog C argument {@code xdp_prog}.
     * @param ifindex C argument {@code ifindex}.
     * @param mode C argument {@code mode}.
     * @param flags C argument {@code flags}.
     * @return what the C function returns.
     */
    public static int xdp_program__attach(final MemorySegment xdp_prog, final int ifindex, final int mode, final int flags)
    {
        try
        {
            return (int)xdp_program__attach.HANDLE.invokeExact(xdp_prog, ifindex, mode, flags);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__attach failed", ex);
        }
    }

    private static final class xdp_program__detach
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__detach", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__detach}.
     */
    public static FunctionDescriptor xdp_program__detach$descriptor()
    {
        return xdp_program__detach.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__detach}.
     */
    public static MethodHandle xdp_program__detach$handle()
    {
        return xdp_program__detach.HANDLE;
    }

    /**
     * int xdp_program__detach(struct xdp_program *prog, int ifindex, enum xdp_attach_mode mode, unsigned int flags); returns 0 or -errno.
     * @param xdp_prog C argument {@code xdp_prog}.
     * @param ifindex C argument {@code ifindex}.
     * @param mode C argument {@code mode}.
     * @param flags C argument {@code flags}.
     * @return what the C function returns.
     */
    public static int xdp_program__detach(final MemorySegment xdp_prog, final int ifindex, final int mode, final int flags)
    {
        try
        {
            return (int)xdp_program__detach.HANDLE.invokeExact(xdp_prog, ifindex, mode, flags);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__detach failed", ex);
        }
    }

    private static final class xdp_program__close
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__close", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__close}.
     */
    public static FunctionDescriptor xdp_program__close$descriptor()
    {
        return xdp_program__close.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__close}.
     */
    public static MethodHandle xdp_program__close$handle()
    {
        return xdp_program__close.HANDLE;
    }

    /**
     * void xdp_program__close(struct xdp_program *prog).
     * @param xdp_prog C argument {@code xdp_prog}.
     */
    public static void xdp_program__close(final MemorySegment xdp_prog)
    {
        try
        {
            xdp_program__close.HANDLE.invokeExact(xdp_prog);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__close failed", ex);
        }
    }

    private static final class xdp_program__bpf_obj
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__bpf_obj", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__bpf_obj}.
     */
    public static FunctionDescriptor xdp_program__bpf_obj$descriptor()
    {
        return xdp_program__bpf_obj.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__bpf_obj}.
     */
    public static MethodHandle xdp_program__bpf_obj$handle()
    {
        return xdp_program__bpf_obj.HANDLE;
    }

    /**
     * struct bpf_object *xdp_program__bpf_obj(struct xdp_program *prog).
     * @param xdp_prog C argument {@code xdp_prog}.
     * @return what the C function returns.
     */
    public static MemorySegment xdp_program__bpf_obj(final MemorySegment xdp_prog)
    {
        try
        {
            return (MemorySegment)xdp_program__bpf_obj.HANDLE.invokeExact(xdp_prog);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__bpf_obj failed", ex);
        }
    }

    private static final class xdp_program__fd
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__fd", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__fd}.
     */
    public static FunctionDescriptor xdp_program__fd$descriptor()
    {
        return xdp_program__fd.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__fd}.
     */
    public static MethodHandle xdp_program__fd$handle()
    {
        return xdp_program__fd.HANDLE;
    }

    /**
     * int xdp_program__fd(const struct xdp_program *prog).
     * @param xdp_prog C argument {@code xdp_prog}.
     * @return what the C function returns.
     */
    public static int xdp_program__fd(final MemorySegment xdp_prog)
    {
        try
        {
            return (int)xdp_program__fd.HANDLE.invokeExact(xdp_prog);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__fd failed", ex);
        }
    }

    private static final class xdp_program__is_attached
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__is_attached", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__is_attached}.
     */
    public static FunctionDescriptor xdp_program__is_attached$descriptor()
    {
        return xdp_program__is_attached.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__is_attached}.
     */
    public static MethodHandle xdp_program__is_attached$handle()
    {
        return xdp_program__is_attached.HANDLE;
    }

    /**
     * enum xdp_attach_mode xdp_program__is_attached(const struct xdp_program *prog, int ifindex).
     * @param xdp_prog C argument {@code xdp_prog}.
     * @param ifindex C argument {@code ifindex}.
     * @return what the C function returns.
     */
    public static int xdp_program__is_attached(final MemorySegment xdp_prog, final int ifindex)
    {
        try
        {
            return (int)xdp_program__is_attached.HANDLE.invokeExact(xdp_prog, ifindex);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__is_attached failed", ex);
        }
    }

    private static final class libxdp_get_error
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "libxdp_get_error", DESC);
    }

    /**
     * @return the C signature of {@code libxdp_get_error}.
     */
    public static FunctionDescriptor libxdp_get_error$descriptor()
    {
        return libxdp_get_error.DESC;
    }

    /**
     * @return the downcall handle of {@code libxdp_get_error}.
     */
    public static MethodHandle libxdp_get_error$handle()
    {
        return libxdp_get_error.HANDLE;
    }

    /**
     * long libxdp_get_error(const void *ptr): 0, or -errno encoded in a returned pointer.
     * @param ptr C argument {@code ptr}.
     * @return what the C function returns.
     */
    public static long libxdp_get_error(final MemorySegment ptr)
    {
        try
        {
            return (long)libxdp_get_error.HANDLE.invokeExact(ptr);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall libxdp_get_error failed", ex);
        }
    }

    private static final class libxdp_strerror
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "libxdp_strerror", DESC);
    }

    /**
     * @return the C signature of {@code libxdp_strerror}.
     */
    public static FunctionDescriptor libxdp_strerror$descriptor()
    {
        return libxdp_strerror.DESC;
    }

    /**
     * @return the downcall handle of {@code libxdp_strerror}.
     */
    public static MethodHandle libxdp_strerror$handle()
    {
        return libxdp_strerror.HANDLE;
    }

    /**
     * int libxdp_strerror(int err, char *buf, size_t size).
     * @param err C argument {@code err}.
     * @param buf C argument {@code buf}.
     * @param size C argument {@code size}.
     * @return what the C function returns.
     */
    public static int libxdp_strerror(final int err, final MemorySegment buf, final long size)
    {
        try
        {
            return (int)libxdp_strerror.HANDLE.invokeExact(err, buf, size);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall libxdp_strerror failed", ex);
        }
    }

    private static final class xdp_program__name
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_program__name", DESC);
    }

    /**
     * @return the C signature of {@code xdp_program__name}.
     */
    public static FunctionDescriptor xdp_program__name$descriptor()
    {
        return xdp_program__name.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_program__name}.
     */
    public static MethodHandle xdp_program__name$handle()
    {
        return xdp_program__name.HANDLE;
    }

    /**
     * const char *xdp_program__name(const struct xdp_program *prog).
     * @param xdp_prog C argument {@code xdp_prog}.
     * @return what the C function returns.
     */
    public static MemorySegment xdp_program__name(final MemorySegment xdp_prog)
    {
        try
        {
            return (MemorySegment)xdp_program__name.HANDLE.invokeExact(xdp_prog);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_program__name failed", ex);
        }
    }

    private static final class xdp_multiprog__get_from_ifindex
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_multiprog__get_from_ifindex", DESC);
    }

    /**
     * @return the C signature of {@code xdp_multiprog__get_from_ifindex}.
     */
    public static FunctionDescriptor xdp_multiprog__get_from_ifindex$descriptor()
    {
        return xdp_multiprog__get_from_ifindex.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_multiprog__get_from_ifindex}.
     */
    public static MethodHandle xdp_multiprog__get_from_ifindex$handle()
    {
        return xdp_multiprog__get_from_ifindex.HANDLE;
    }

    /**
     * struct xdp_multiprog *xdp_multiprog__get_from_ifindex(int ifindex); check with libxdp_get_error.
     * @param ifindex C argument {@code ifindex}.
     * @return what the C function returns.
     */
    public static MemorySegment xdp_multiprog__get_from_ifindex(final int ifindex)
    {
        try
        {
            return (MemorySegment)xdp_multiprog__get_from_ifindex.HANDLE.invokeExact(ifindex);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_multiprog__get_from_ifindex failed", ex);
        }
    }

    private static final class xdp_multiprog__main_prog
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_multiprog__main_prog", DESC);
    }

    /**
     * @return the C signature of {@code xdp_multiprog__main_prog}.
     */
    public static FunctionDescriptor xdp_multiprog__main_prog$descriptor()
    {
        return xdp_multiprog__main_prog.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_multiprog__main_prog}.
     */
    public static MethodHandle xdp_multiprog__main_prog$handle()
    {
        return xdp_multiprog__main_prog.HANDLE;
    }

    /**
     * struct xdp_program *xdp_multiprog__main_prog(const struct xdp_multiprog *mp): the dispatcher, or the single (legacy) program.
     * @param mp C argument {@code mp}.
     * @return what the C function returns.
     */
    public static MemorySegment xdp_multiprog__main_prog(final MemorySegment mp)
    {
        try
        {
            return (MemorySegment)xdp_multiprog__main_prog.HANDLE.invokeExact(mp);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_multiprog__main_prog failed", ex);
        }
    }

    private static final class xdp_multiprog__is_legacy
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_multiprog__is_legacy", DESC);
    }

    /**
     * @return the C signature of {@code xdp_multiprog__is_legacy}.
     */
    public static FunctionDescriptor xdp_multiprog__is_legacy$descriptor()
    {
        return xdp_multiprog__is_legacy.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_multiprog__is_legacy}.
     */
    public static MethodHandle xdp_multiprog__is_legacy$handle()
    {
        return xdp_multiprog__is_legacy.HANDLE;
    }

    /**
     * bool xdp_multiprog__is_legacy(const struct xdp_multiprog *mp) (a C bool, bound as int).
     * @param mp C argument {@code mp}.
     * @return what the C function returns.
     */
    public static int xdp_multiprog__is_legacy(final MemorySegment mp)
    {
        try
        {
            return (int)xdp_multiprog__is_legacy.HANDLE.invokeExact(mp);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_multiprog__is_legacy failed", ex);
        }
    }

    private static final class xdp_multiprog__detach
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_multiprog__detach", DESC);
    }

    /**
     * @return the C signature of {@code xdp_multiprog__detach}.
     */
    public static FunctionDescriptor xdp_multiprog__detach$descriptor()
    {
        return xdp_multiprog__detach.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_multiprog__detach}.
     */
    public static MethodHandle xdp_multiprog__detach$handle()
    {
        return xdp_multiprog__detach.HANDLE;
    }

    /**
     * int xdp_multiprog__detach(struct xdp_multiprog *mp); returns 0 or -errno.
     * @param mp C argument {@code mp}.
     * @return what the C function returns.
     */
    public static int xdp_multiprog__detach(final MemorySegment mp)
    {
        try
        {
            return (int)xdp_multiprog__detach.HANDLE.invokeExact(mp);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_multiprog__detach failed", ex);
        }
    }

    private static final class xdp_multiprog__close
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "xdp_multiprog__close", DESC);
    }

    /**
     * @return the C signature of {@code xdp_multiprog__close}.
     */
    public static FunctionDescriptor xdp_multiprog__close$descriptor()
    {
        return xdp_multiprog__close.DESC;
    }

    /**
     * @return the downcall handle of {@code xdp_multiprog__close}.
     */
    public static MethodHandle xdp_multiprog__close$handle()
    {
        return xdp_multiprog__close.HANDLE;
    }

    /**
     * void xdp_multiprog__close(struct xdp_multiprog *mp).
     * @param mp C argument {@code mp}.
     */
    public static void xdp_multiprog__close(final MemorySegment mp)
    {
        try
        {
            xdp_multiprog__close.HANDLE.invokeExact(mp);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall xdp_multiprog__close failed", ex);
        }
    }
}
