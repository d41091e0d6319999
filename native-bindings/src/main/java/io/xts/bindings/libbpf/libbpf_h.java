package io.xts.bindings.libbpf;

import io.xts.bindings.NativeLibrary;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The few libbpf calls the driver needs, {@code <bpf/libbpf.h>} and {@code <bpf/bpf.h>}: find a map of a loaded object, update and look up map elements, and error strings.
 * <p>
 * Written in the layout jextract produces (one holder class per function with its descriptor and handle,
 * {@code f$descriptor()}, {@code f$handle()} and a static wrapper calling {@code invokeExact}); the command line
 * that regenerates it is in {@code native-bindings/jextract/}.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName", "checkstyle:ConstantName"})
public final class libbpf_h
{
    private libbpf_h()
    {
    }

    static final SymbolLookup SYMBOL_LOOKUP = NativeLibrary.library("libbpf1 (libbpf-dev)", "libbpf.so.1", "libbpf.so");

    /** bpf_map_update_elem flags: create or update. */
    public static final long BPF_ANY = 0L;

    private static final class bpf_object__find_map_fd_by_name
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "bpf_object__find_map_fd_by_name", DESC);
    }

    /**
     * @return the C signature of {@code bpf_object__find_map_fd_by_name}.
     */
    public static FunctionDescriptor bpf_object__find_map_fd_by_name$descriptor()
    {
        return bpf_object__find_map_fd_by_name.DESC;
    }

    /**
     * @return the downcall handle of {@code bpf_object__find_map_fd_by_name}.
     */
    public static MethodHandle bpf_object__find_map_fd_by_name$handle()
    {
        return bpf_object__find_map_fd_by_name.HANDLE;
    }

    /**
     * int bpf_object__find_map_fd_by_name(const struct bpf_object *obj, const char *name); returns an fd or -errno.
     * @param obj C argument {@code obj}.
     * @param name C argument {@code name}.
     * @return what the C function returns.
     */
    public static int bpf_object__find_map_fd_by_name(final MemorySegment obj, final MemorySegment name)
    {
        try
        {
            return (int)bpf_object__find_map_fd_by_name.HANDLE.invokeExact(obj, name);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall bpf_object__find_map_fd_by_name failed", ex);
        }
    }

    private static final class bpf_map_update_elem
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "bpf_map_update_elem", DESC);
    }

    /**
     * @return the C signature of {@code bpf_map_update_elem}.
     */
    public static FunctionDescriptor bpf_map_update_elem$descriptor()
    {
        return bpf_map_update_elem.DESC;
    }

    /**
     * @return the downcall handle of {@code bpf_map_update_elem}.
     */
    public static MethodHandle bpf_map_update_elem$handle()
    {
        return bpf_map_update_elem.HANDLE;
    }

    /**
     * int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags); returns 0 or -errno.
     * @param fd C argument {@code fd}.
     * @param key C argument {@code key}.
     * @param value C argument {@code value}.
     * @param flags C argument {@code flags}.
     * @return what the C function returns.
     */
    public static int bpf_map_update_elem(final int fd, final MemorySegment key, final MemorySegment value, final long flags)
    {
        try
        {
            return (int)bpf_map_update_elem.HANDLE.invokeExact(fd, key, value, flags);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall bpf_map_update_elem failed", ex);
        }
    }

    private static final class bpf_map_lookup_elem
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "bpf_map_lookup_elem", DESC);
    }

    /**
     * @return the C signature of {@code bpf_map_lookup_elem}.
     */
    public static FunctionDescriptor bpf_map_lookup_elem$descriptor()
    {
        return bpf_map_lookup_elem.DESC;
    }

    /**
     * @return the downcall handle of {@code bpf_map_lookup_elem}.
     */
    public static MethodHandle bpf_map_lookup_elem$handle()
    {
        return bpf_map_lookup_elem.HANDLE;
    }

    /**
     * int bpf_map_lookup_elem(int fd, const void *key, void *value); returns 0 or -errno.
     * @param fd C argument {@code fd}.
     * @param key C argument {@code key}.
     * @param value C argument {@code value}.
     * @return what the C function returns.
     */
    public static int bpf_map_lookup_elem(final int fd, final MemorySegment key, final MemorySegment value)
    {
        try
        {
            return (int)bpf_map_lookup_elem.HANDLE.invokeExact(fd, key, value);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall bpf_map_lookup_elem failed", ex);
        }
    }

    private static final class bpf_map_delete_elem
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "bpf_map_delete_elem", DESC);
    }

    /**
     * @return the C signature of {@code bpf_map_delete_elem}.
     */
    public static FunctionDescriptor bpf_map_delete_elem$descriptor()
    {
        return bpf_map_delete_elem.DESC;
    }

    /**
     * @return the downcall handle of {@code bpf_map_delete_elem}.
     */
    public static MethodHandle bpf_map_delete_elem$handle()
    {
        return bpf_map_delete_elem.HANDLE;
    }

    /**
     * int bpf_map_delete_elem(int fd, const void *key); returns 0 or -errno.
     * @param fd C argument {@code fd}.
     * @param key C argument {@code key}.
     * @return what the C function returns.
     */
    public static int bpf_map_delete_elem(final int fd, final MemorySegment key)
    {
        try
        {
            return (int)bpf_map_delete_elem.HANDLE.invokeExact(fd, key);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall bpf_map_delete_elem failed", ex);
        }
    }

    private static final class libbpf_strerror
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "libbpf_strerror", DESC);
    }

    /**
     * @return the C signature of {@code libbpf_strerror}.
     */
    public static FunctionDescriptor libbpf_strerror$descriptor()
    {
        return libbpf_strerror.DESC;
    }

    /**
     * @return the downcall handle of {@code libbpf_strerror}.
     */
    public static MethodHandle libbpf_strerror$handle()
    {
        return libbpf_strerror.HANDLE;
    }

    /**
     * int libbpf_strerror(int err, char *buf, size_t size).
     * @param err C argument {@code err}.
     * @param buf C argument {@code buf}.
     * @param size C argument {@code size}.
     * @return what the C function returns.
     */
    public static int libbpf_strerror(final int err, final MemorySegment buf, final long size)
    {
        try
        {
            return (int)libbpf_strerror.HANDLE.invokeExact(err, buf, size);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall libbpf_strerror failed", ex);
        }
    }

}
