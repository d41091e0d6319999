package io.xts.tools.nvme;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An NVMe/TCP subsystem with one namespace over kernel TCP: a thread accepts connections, and each connection (one
 * queue, admin or I/O) is served by its own platform thread with blocking {@code java.nio} I/O
 * ({@link TargetConnection}). Controllers are dynamic: each admin Connect creates one with a new CNTLID, which the
 * host's I/O-queue Connects name. Usable in-process (tests) and from {@link NvmeTarget} ({@code xts nvme-target}).
 */
public final class NvmeTargetServer implements AutoCloseable
{
    private final TargetConfig config;
    private final PrintStream log;
    private final Map<Integer, TargetController> controllers = new ConcurrentHashMap<>();
    private final Map<TargetConnection, Thread> connections = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    private final Object cntlidLock = new Object();
    private int nextCntlid = 1;
    private Backend backend;
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean closed;
    private InetSocketAddress bound;

    /**
     * @param config what to serve.
     * @param log    where to print the listening line and one line per connection start and end.
     */
    public NvmeTargetServer(final TargetConfig config, final PrintStream log)
    {
        this.config = config;
        this.log = log;
    }

    /**
     * Allocate the backend, bind, start accepting and print
     * {@code nvme-target listening on ADDR:PORT nqn=.. backend=.. size=..}.
     *
     * @return the port bound (useful with port 0).
     * @throws IOException when the address cannot be bound.
     */
    public synchronized int start() throws IOException
    {
        if (null != server)
        {
            throw new IllegalStateException("already started");
        }
        backend = Backend.create(config.backend(), config.size(),
            Math.max(config.maxC2hData(), TargetConnection.ADMIN_DATA_MAX));
        try
        {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(config.listen(), 128);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != server)
            {
                server.close();
            }
            backend.close();
            throw ex;
        }
        bound = (InetSocketAddress)server.getLocalAddress();
        acceptor = Thread.ofPlatform().name("nvme-target-accept").start(this::acceptLoop);
        log("nvme-target listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort() + " nqn=" +
            config.nqn() + " backend=" + config.backend().name().toLowerCase(Locale.ROOT) + " size=" +
            Sizes.format(config.size()));
        return bound.getPort();
    }

    /** @return the address bound, once started. */
    public InetSocketAddress address()
    {
        return bound;
    }

    /** @return the configuration. */
    public TargetConfig config()
    {
        return config;
    }

    /** @return connections being served now. */
    public int connectionCount()
    {
        return connections.size();
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            final SocketChannel channel;
            try
            {
                channel = server.accept();
            }
            catch (final ClosedChannelException ex)
            {
                return;
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    log("nvme-target accept failed: " + ex.getMessage());
                }
                return;
            }
            final TargetConnection connection;
            try
            {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                connection = new TargetConnection(this, channel, connectionIds.incrementAndGet());
            }
            catch (final IOException ex)
            {
                closeQuietly(channel);
                continue;
            }
            synchronized (this)
            {
                if (closed)
                {
                    closeQuietly(channel);
                    return;
                }
                final Thread thread = Thread.ofPlatform().name("nvme-target-conn-" + connection.id()).unstarted(() ->
                {
                    try
                    {
                        connection.run();
                    }
                    finally
                    {
                        connections.remove(connection);
                    }
                });
                connections.put(connection, thread);
                thread.start();
            }
        }
    }

    /**
     * Stop accepting, close every connection, wait for their threads and free the backend. Idempotent.
     */
    @Override
    public void close()
    {
        final List<Thread> threads;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            closeQuietly(server);
            threads = new ArrayList<>(connections.values());
            for (final TargetConnection c : connections.keySet())
            {
                c.abort();
            }
        }
        try
        {
            if (null != acceptor)
            {
                acceptor.join(5000);
            }
            for (final Thread t : threads)
            {
                t.join(5000);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (null != backend)
        {
            backend.close();
        }
        log("nvme-target stopped");
    }

    // ---- for connections ----

    Backend backend()
    {
        return backend;
    }

    TargetController createController(final String hostNqn, final long kato)
    {
        synchronized (cntlidLock)
        {
            for (int i = 0; i < 0xFFEF; i++)
            {
                final int id = nextCntlid;
                nextCntlid = nextCntlid >= 0xFFEF ? 1 : nextCntlid + 1;
                if (!controllers.containsKey(id))
                {
                    final TargetController c = new TargetController(id, hostNqn, kato);
                    controllers.put(id, c);
                    return c;
                }
            }
            return null;
        }
    }

    TargetController controller(final int cntlid)
    {
        return controllers.get(cntlid);
    }

    void removeController(final TargetController controller)
    {
        controllers.remove(controller.cntlid(), controller);
    }

    void log(final String line)
    {
        synchronized (log)
        {
            log.println(line);
            log.flush();
        }
    }

    private static void closeQuietly(final Closeable c)
    {
        if (null == c)
        {
            return;
        }
        try
        {
            c.close();
        }
        catch (final IOException ignored)
        {
            // Closing anyway.
        }
    }
}
