package io.xts.bindings.libc;

import io.xts.bindings.NativeLibrary;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls the driver needs, with errno captured through {@code Linker.Option.captureCallState}: each wrapper takes an {@code errnoState} segment first, read with {@link #errno(MemorySegment)}.
 * <p>
 * Written in the layout jextract produces (one holder class per function with its descriptor and handle,
 * {@code f$descriptor()}, {@code f$handle()} and a static wrapper calling {@code invokeExact}); the command line
 * that regenerates it is in {@code native-bindings/jextract/}.
 */
@SuppressWarnings({"checkstyle:TypeName", "checkstyle:MethodName", "checkstyle:ConstantName"})
public final class libc_h
{
    private libc_h()
    {
    }

    static final SymbolLookup SYMBOL_LOOKUP = NativeLibrary.LINKER.defaultLookup();

    /** poll: data to read. */
    public static final short POLLIN = (short)0x001;

    /** poll: writing possible. */
    public static final short POLLOUT = (short)0x004;

    /** eventfd flag: non-blocking reads and writes. */
    public static final int EFD_NONBLOCK = 0x800;

    /** eventfd flag: closed on exec. */
    public static final int EFD_CLOEXEC = 0x80000;

    /** setsockopt level of socket-wide options (linux/socket.h). */
    public static final int SOL_SOCKET = 1;

    /** SOL_SOCKET: microseconds to busy-poll the device queue on a blocking receive or poll (linux/socket.h). */
    public static final int SO_BUSY_POLL = 46;

    /** SOL_SOCKET: prefer busy polling over softirq processing while the application polls (linux/socket.h). */
    public static final int SO_PREFER_BUSY_POLL = 69;

    /** SOL_SOCKET: packets one busy poll handles at most (linux/socket.h). */
    public static final int SO_BUSY_POLL_BUDGET = 70;

    /** send/recv flag: non-blocking. */
    public static final int MSG_DONTWAIT = 0x40;

    /** errno: interrupted. */
    public static final int EINTR = 4;

    /** errno: operation not permitted. */
    public static final int EPERM = 1;

    /** errno: no such file. */
    public static final int ENOENT = 2;

    /** errno: no such device or address. */
    public static final int ENXIO = 6;

    /** errno: try again. */
    public static final int EAGAIN = 11;

    /** errno: out of memory. */
    public static final int ENOMEM = 12;

    /** errno: permission denied. */
    public static final int EACCES = 13;

    /** errno: busy. */
    public static final int EBUSY = 16;

    /** errno: no such device. */
    public static final int ENODEV = 19;

    /** errno: invalid argument. */
    public static final int EINVAL = 22;

    /** errno: network is down. */
    public static final int ENETDOWN = 100;

    /** errno: no buffer space. */
    public static final int ENOBUFS = 105;

    /** errno: operation not supported. */
    public static final int EOPNOTSUPP = 95;

    /** open: read only. */
    public static final int O_RDONLY = 0;

    /** open: close on exec. */
    public static final int O_CLOEXEC = 0x80000;

    /** setns: network namespace. */
    public static final int CLONE_NEWNET = 0x40000000;

    private static final class if_nametoindex
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "if_nametoindex", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code if_nametoindex}.
     */
    public static FunctionDescriptor if_nametoindex$descriptor()
    {
        return if_nametoindex.DESC;
    }

    /**
     * @return the downcall handle of {@code if_nametoindex}.
     */
    public static MethodHandle if_nametoindex$handle()
    {
        return if_nametoindex.HANDLE;
    }

    /**
     * unsigned int if_nametoindex(const char *ifname); 0 on error.
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param ifname C argument {@code ifname}.
     * @return what the C function returns.
     */
    public static int if_nametoindex(final MemorySegment errnoState, final MemorySegment ifname)
    {
        try
        {
            return (int)if_nametoindex.HANDLE.invokeExact(errnoState, ifname);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall if_nametoindex failed", ex);
        }
    }

    private static final class poll
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "poll", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code poll}.
     */
    public static FunctionDescriptor poll$descriptor()
    {
        return poll.DESC;
    }

    /**
     * @return the downcall handle of {@code poll}.
     */
    public static MethodHandle poll$handle()
    {
        return poll.HANDLE;
    }

    /**
     * int poll(struct pollfd *fds, nfds_t nfds, int timeout).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param fds C argument {@code fds}.
     * @param nfds C argument {@code nfds}.
     * @param timeout C argument {@code timeout}.
     * @return what the C function returns.
     */
    public static int poll(final MemorySegment errnoState, final MemorySegment fds, final long nfds, final int timeout)
    {
        try
        {
            return (int)poll.HANDLE.invokeExact(errnoState, fds, nfds, timeout);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall poll failed", ex);
        }
    }

    private static final class ppoll
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "ppoll", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code ppoll}.
     */
    public static FunctionDescriptor ppoll$descriptor()
    {
        return ppoll.DESC;
    }

    /**
     * @return the downcall handle of {@code ppoll}.
     */
    public static MethodHandle ppoll$handle()
    {
        return ppoll.HANDLE;
    }

    /**
     * int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo_p, const sigset_t *sigmask).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param fds C argument {@code fds}.
     * @param nfds C argument {@code nfds}.
     * @param tmo_p C argument {@code tmo_p}.
     * @param sigmask C argument {@code sigmask}.
     * @return what the C function returns.
     */
    public static int ppoll(final MemorySegment errnoState, final MemorySegment fds, final long nfds, final MemorySegment tmo_p, final MemorySegment sigmask)
    {
        try
        {
            return (int)ppoll.HANDLE.invokeExact(errnoState, fds, nfds, tmo_p, sigmask);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall ppoll failed", ex);
        }
    }

    private static final class eventfd
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "eventfd", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code eventfd}.
     */
    public static FunctionDescriptor eventfd$descriptor()
    {
        return eventfd.DESC;
    }

    /**
     * @return the downcall handle of {@code eventfd}.
     */
    public static MethodHandle eventfd$handle()
    {
        return eventfd.HANDLE;
    }

    /**
     * int eventfd(unsigned int initval, int flags).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param initval C argument {@code initval}.
     * @param flags C argument {@code flags}.
     * @return what the C function returns.
     */
    public static int eventfd(final MemorySegment errnoState, final int initval, final int flags)
    {
        try
        {
            return (int)eventfd.HANDLE.invokeExact(errnoState, initval, flags);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall eventfd failed", ex);
        }
    }

    private static final class read
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "read", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code read}.
     */
    public static FunctionDescriptor read$descriptor()
    {
        return read.DESC;
    }

    /**
     * @return the downcall handle of {@code read}.
     */
    public static MethodHandle read$handle()
    {
        return read.HANDLE;
    }

    /**
     * ssize_t read(int fd, void *buf, size_t count).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param fd C argument {@code fd}.
     * @param buf C argument {@code buf}.
     * @param count C argument {@code count}.
     * @return what the C function returns.
     */
    public static long read(final MemorySegment errnoState, final int fd, final MemorySegment buf, final long count)
    {
        try
        {
            return (long)read.HANDLE.invokeExact(errnoState, fd, buf, count);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall read failed", ex);
        }
    }

    private static final class write
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "write", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code write}.
     */
    public static FunctionDescriptor write$descriptor()
    {
        return write.DESC;
    }

    /**
     * @return the downcall handle of {@code write}.
     */
    public static MethodHandle write$handle()
    {
        return write.HANDLE;
    }

    /**
     * ssize_t write(int fd, const void *buf, size_t count).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param fd C argument {@code fd}.
     * @param buf C argument {@code buf}.
     * @param count C argument {@code count}.
     * @return what the C function returns.
     */
    public static long write(final MemorySegment errnoState, final int fd, final MemorySegment buf, final long count)
    {
        try
        {
            return (long)write.HANDLE.invokeExact(errnoState, fd, buf, count);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall write failed", ex);
        }
    }

    private static final class sendto
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "sendto", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code sendto}.
     */
    public static FunctionDescriptor sendto$descriptor()
    {
        return sendto.DESC;
    }

    /**
     * @return the downcall handle of {@code sendto}.
     */
    public static MethodHandle sendto$handle()
    {
        return sendto.HANDLE;
    }

    /**
     * ssize_t sendto(int sockfd, const void *buf, size_t len, int flags, const struct sockaddr *dest_addr, socklen_t addrlen).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param sockfd C argument {@code sockfd}.
     * @param buf C argument {@code buf}.
     * @param len C argument {@code len}.
     * @param flags C argument {@code flags}.
     * @param dest_addr C argument {@code dest_addr}.
     * @param addrlen C argument {@code addrlen}.
     * @return what the C function returns.
     */
    public static long sendto(final MemorySegment errnoState, final int sockfd, final MemorySegment buf, final long len, final int flags, final MemorySegment dest_addr, final int addrlen)
    {
        try
        {
            return (long)sendto.HANDLE.invokeExact(errnoState, sockfd, buf, len, flags, dest_addr, addrlen);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall sendto failed", ex);
        }
    }

    private static final class recvfrom
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "recvfrom", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code recvfrom}.
     */
    public static FunctionDescriptor recvfrom$descriptor()
    {
        return recvfrom.DESC;
    }

    /**
     * @return the downcall handle of {@code recvfrom}.
     */
    public static MethodHandle recvfrom$handle()
    {
        return recvfrom.HANDLE;
    }

    /**
     * ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags, struct sockaddr *src_addr, socklen_t *addrlen).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param sockfd C argument {@code sockfd}.
     * @param buf C argument {@code buf}.
     * @param len C argument {@code len}.
     * @param flags C argument {@code flags}.
     * @param src_addr C argument {@code src_addr}.
     * @param addrlen C argument {@code addrlen}.
     * @return what the C function returns.
     */
    public static long recvfrom(final MemorySegment errnoState, final int sockfd, final MemorySegment buf, final long len, final int flags, final MemorySegment src_addr, final MemorySegment addrlen)
    {
        try
        {
            return (long)recvfrom.HANDLE.invokeExact(errnoState, sockfd, buf, len, flags, src_addr, addrlen);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall recvfrom failed", ex);
        }
    }

    private static final class getsockopt
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "getsockopt", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code getsockopt}.
     */
    public static FunctionDescriptor getsockopt$descriptor()
    {
        return getsockopt.DESC;
    }

    /**
     * @return the downcall handle of {@code getsockopt}.
     */
    public static MethodHandle getsockopt$handle()
    {
        return getsockopt.HANDLE;
    }

    /**
     * int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param sockfd C argument {@code sockfd}.
     * @param level C argument {@code level}.
     * @param optname C argument {@code optname}.
     * @param optval C argument {@code optval}.
     * @param optlen C argument {@code optlen}.
     * @return what the C function returns.
     */
    public static int getsockopt(final MemorySegment errnoState, final int sockfd, final int level, final int optname, final MemorySegment optval, final MemorySegment optlen)
    {
        try
        {
            return (int)getsockopt.HANDLE.invokeExact(errnoState, sockfd, level, optname, optval, optlen);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall getsockopt failed", ex);
        }
    }

    private static final class setsockopt
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "setsockopt", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code setsockopt}.
     */
    public static FunctionDescriptor setsockopt$descriptor()
    {
        return setsockopt.DESC;
    }

    /**
     * @return the downcall handle of {@code setsockopt}.
     */
    public static MethodHandle setsockopt$handle()
    {
        return setsockopt.HANDLE;
    }

    /**
     * int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param sockfd C argument {@code sockfd}.
     * @param level C argument {@code level}.
     * @param optname C argument {@code optname}.
     * @param optval C argument {@code optval}.
     * @param optlen C argument {@code optlen}.
     * @return what the C function returns.
     */
    public static int setsockopt(final MemorySegment errnoState, final int sockfd, final int level, final int optname, final MemorySegment optval, final int optlen)
    {
        try
        {
            return (int)setsockopt.HANDLE.invokeExact(errnoState, sockfd, level, optname, optval, optlen);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall setsockopt failed", ex);
        }
    }

    private static final class setns
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "setns", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code setns}.
     */
    public static FunctionDescriptor setns$descriptor()
    {
        return setns.DESC;
    }

    /**
     * @return the downcall handle of {@code setns}.
     */
    public static MethodHandle setns$handle()
    {
        return setns.HANDLE;
    }

    /**
     * int setns(int fd, int nstype): moves the calling thread into a namespace.
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param fd C argument {@code fd}.
     * @param nstype C argument {@code nstype}.
     * @return what the C function returns.
     */
    public static int setns(final MemorySegment errnoState, final int fd, final int nstype)
    {
        try
        {
            return (int)setns.HANDLE.invokeExact(errnoState, fd, nstype);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall setns failed", ex);
        }
    }

    private static final class open
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "open", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code open}.
     */
    public static FunctionDescriptor open$descriptor()
    {
        return open.DESC;
    }

    /**
     * @return the downcall handle of {@code open}.
     */
    public static MethodHandle open$handle()
    {
        return open.HANDLE;
    }

    /**
     * int open(const char *pathname, int flags).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param pathname C argument {@code pathname}.
     * @param flags C argument {@code flags}.
     * @return what the C function returns.
     */
    public static int open(final MemorySegment errnoState, final MemorySegment pathname, final int flags)
    {
        try
        {
            return (int)open.HANDLE.invokeExact(errnoState, pathname, flags);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall open failed", ex);
        }
    }

    private static final class close
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "close", DESC, Linker.Option.captureCallState("errno"));
    }

    /**
     * @return the C signature of {@code close}.
     */
    public static FunctionDescriptor close$descriptor()
    {
        return close.DESC;
    }

    /**
     * @return the downcall handle of {@code close}.
     */
    public static MethodHandle close$handle()
    {
        return close.HANDLE;
    }

    /**
     * int close(int fd).
     * @param errnoState call state that receives errno, from {@code libc_h.allocateErrnoState}.
     * @param fd C argument {@code fd}.
     * @return what the C function returns.
     */
    public static int close(final MemorySegment errnoState, final int fd)
    {
        try
        {
            return (int)close.HANDLE.invokeExact(errnoState, fd);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall close failed", ex);
        }
    }

    private static final class strerror
    {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = NativeLibrary.downcall(SYMBOL_LOOKUP, "strerror", DESC);
    }

    /**
     * @return the C signature of {@code strerror}.
     */
    public static FunctionDescriptor strerror$descriptor()
    {
        return strerror.DESC;
    }

    /**
     * @return the downcall handle of {@code strerror}.
     */
    public static MethodHandle strerror$handle()
    {
        return strerror.HANDLE;
    }

    /**
     * char *strerror(int errnum).
     * @param errnum C argument {@code errnum}.
     * @return what the C function returns.
     */
    public static MemorySegment strerror(final int errnum)
    {
        try
        {
            return (MemorySegment)strerror.HANDLE.invokeExact(errnum);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("downcall strerror failed", ex);
        }
    }

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(
        MemoryLayout.PathElement.groupElement("errno"));

    /**
     * Allocate a call state that receives errno; one per thread that makes calls, reused for every call.
     *
     * @param allocator where to allocate it.
     * @return the call state segment.
     */
    public static MemorySegment allocateErrnoState(final SegmentAllocator allocator)
    {
        return allocator.allocate(CAPTURE_LAYOUT);
    }

    /**
     * @param errnoState call state filled by the last call.
     * @return the errno that call left.
     */
    public static int errno(final MemorySegment errnoState)
    {
        return (int)ERRNO.get(errnoState, 0L);
    }

    /**
     * @param errnum an errno value (either sign).
     * @return its text, e.g. "Operation not permitted".
     */
    public static String strerrorText(final int errnum)
    {
        final MemorySegment text = strerror(Math.abs(errnum));
        return MemorySegment.NULL.equals(text) ? "errno " + errnum : text.reinterpret(4096).getString(0);
    }
}
