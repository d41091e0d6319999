package io.xts.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Finds shared libraries and symbols for the header classes, the role jextract's generated RuntimeHelper
 * plays. A missing library or symbol fails with a message that says which package provides it, instead of a
 * bare {@code UnsatisfiedLinkError} deep inside a call.
 */
public final class NativeLibrary
{
    /** The platform linker shared by every header class. */
    public static final Linker LINKER = Linker.nativeLinker();

    private NativeLibrary()
    {
    }

    /**
     * Look up a library by its soname, trying the given names in order.
     *
     * @param debianPackage package that provides it, named in the error.
     * @param sonames       candidate sonames, e.g. "libxdp.so.1".
     * @return a lookup that lives as long as the JVM.
     */
    public static SymbolLookup library(final String debianPackage, final String... sonames)
    {
        IllegalArgumentException last = null;
        for (final String soname : sonames)
        {
            try
            {
                return SymbolLookup.libraryLookup(soname, Arena.global());
            }
            catch (final IllegalArgumentException ex)
            {
                last = ex;
            }
        }
        final IllegalStateException failure = new IllegalStateException(
            "cannot load " + String.join(" or ", sonames) + ": install the Debian package " + debianPackage +
            " (scripts/setup does it)");
        if (null != last)
        {
            failure.addSuppressed(last);
        }
        throw failure;
    }

    /**
     * Bind a symbol to a downcall handle.
     *
     * @param lookup     where to find it.
     * @param name       the C symbol.
     * @param descriptor its C signature.
     * @param options    linker options (errno capture, critical).
     * @return the downcall handle.
     */
    public static MethodHandle downcall(
        final SymbolLookup lookup, final String name, final FunctionDescriptor descriptor,
        final Linker.Option... options)
    {
        final MemorySegment address = lookup.find(name).orElseThrow(
            () -> new IllegalStateException("symbol " + name + " not found: library version too old?"));
        return LINKER.downcallHandle(address, descriptor, options);
    }
}
