package io.xts.xsk;

import io.xts.bindings.libc.libc_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Runs work inside a named network namespace ({@code ip netns}) from within one JVM: {@code setns(CLONE_NEWNET)}
 * moves only the calling thread, so each task gets a dedicated platform thread (never a virtual thread, which can
 * change carriers). Sockets created there, AF_XDP included, stay bound to that namespace. Tests use it to put a
 * sender and a receiver in two namespaces of one process.
 */
public final class NetworkNamespace
{
    private NetworkNamespace()
    {
    }

    /**
     * Move the calling thread into a network namespace.
     *
     * @param name namespace name under /var/run/netns.
     * @throws XskException when it cannot (no such namespace, or no CAP_SYS_ADMIN).
     */
    public static void enter(final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = libc_h.allocateErrnoState(arena);
            final String path = "/var/run/netns/" + name;
            final int fd = libc_h.open(errno, arena.allocateFrom(path), libc_h.O_RDONLY | libc_h.O_CLOEXEC);
            if (fd < 0)
            {
                throw new XskException("open", path, libc_h.errno(errno));
            }
            try
            {
                if (0 != libc_h.setns(errno, fd, libc_h.CLONE_NEWNET))
                {
                    throw new XskException("setns(CLONE_NEWNET)", path, libc_h.errno(errno));
                }
            }
            finally
            {
                libc_h.close(errno, fd);
            }
        }
    }

    /**
     * Run a task on a new platform thread inside a namespace.
     *
     * @param name       namespace name.
     * @param threadName name of the thread.
     * @param task       what to run there.
     * @param <T>        its result.
     * @return the task's result, completed exceptionally if it (or entering the namespace) failed.
     */
    public static <T> CompletableFuture<T> run(final String name, final String threadName, final Callable<T> task)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final Thread thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(() ->
        {
            try
            {
                enter(name);
                result.complete(task.call());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        });
        thread.start();
        return result;
    }

    /**
     * Open the calling thread's network namespace, to come back to it later from any thread with {@link #callIn}.
     *
     * @return a file descriptor of the namespace; close it with {@link #release(int)}.
     * @throws XskException when /proc/thread-self/ns/net cannot be opened.
     */
    public static int current()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = libc_h.allocateErrnoState(arena);
            final String path = "/proc/thread-self/ns/net";
            final int fd = libc_h.open(errno, arena.allocateFrom(path), libc_h.O_RDONLY | libc_h.O_CLOEXEC);
            if (fd < 0)
            {
                throw new XskException("open", path, libc_h.errno(errno));
            }
            return fd;
        }
    }

    /**
     * Run a task inside the namespace {@code fd} names, on a short-lived platform thread, and wait for it: for work
     * that must happen in the namespace where something was set up (detaching an XDP program by interface index)
     * when the caller may be in another one.
     *
     * @param fd   a namespace from {@link #current()}.
     * @param task what to run.
     * @param <T>  its result.
     * @return the task's result.
     * @throws XskException when the namespace cannot be entered; the task's own exception is rethrown as is when it
     *         is unchecked.
     */
    public static <T> T callIn(final int fd, final Callable<T> task)
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final Thread thread = Thread.ofPlatform().name("xts-netns").daemon(true).start(() ->
        {
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment errno = libc_h.allocateErrnoState(arena);
                if (0 != libc_h.setns(errno, fd, libc_h.CLONE_NEWNET))
                {
                    throw new XskException("setns(CLONE_NEWNET)", "namespace fd " + fd, libc_h.errno(errno));
                }
                result.complete(task.call());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        });
        try
        {
            thread.join();
            return result.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for work in namespace fd " + fd, ex);
        }
        catch (final CompletionException ex)
        {
            if (ex.getCause() instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw ex;
        }
    }

    /**
     * @param fd a namespace from {@link #current()}, closed.
     */
    public static void release(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            libc_h.close(libc_h.allocateErrnoState(arena), fd);
        }
    }
}
