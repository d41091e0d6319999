package io.xts.xsk;

import io.xts.bindings.libc.libc_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

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
}
