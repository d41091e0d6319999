package io.xts.examples.net;

import io.xts.sockets.XtsServerSocket;
import io.xts.sockets.XtsSocket;
import io.xts.sockets.XtsStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code xts nc [-l] HOST PORT}: netcat over XTS sockets. It connects through the proxy to HOST:PORT (or, with -l,
 * has the proxy listen on HOST:PORT and takes one connection), then copies standard input to the connection and the
 * connection to standard output, both at once. End of standard input shuts down the write side (the peer sees FIN)
 * while data from the peer still arrives; the command ends when the peer has finished too, so half-close works both
 * ways. Exit status 0 on a clean end, 1 on an error (printed to standard error).
 */
@Command(name = "nc", mixinStandardHelpOptions = true,
    description = {"netcat over XTS sockets: stdin to the connection, the connection to stdout.",
        "End of stdin sends FIN (half-close); the command ends when the peer closes its side too."})
public final class Nc implements Callable<Integer>
{
    private static final int BUFFER = 64 * 1024;

    @Mixin
    StackOptions stack;

    @Option(names = "-l", description = "listen on HOST:PORT (at the proxy) and accept one connection")
    boolean listen;

    @Option(names = "--connect-timeout", defaultValue = "10", description = "seconds (default ${DEFAULT-VALUE})")
    double connectTimeout;

    @Option(names = "--no-shutdown", description = "do not send FIN at end of stdin; wait for the peer to close")
    boolean noShutdown;

    @Parameters(index = "0", description = "host (an address) to connect to, or to listen on with -l")
    String host;

    @Parameters(index = "1", description = "port")
    int port;

    @Override
    public Integer call() throws Exception
    {
        if (port < 0 || port > 65535 || (!listen && 0 == port))
        {
            throw new IllegalArgumentException("PORT must be 1-65535, got " + port);
        }
        final InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
        try (XtsStack xts = stack.open())
        {
            final XtsSocket socket;
            if (listen)
            {
                try (XtsServerSocket server = xts.listen(address, 1))
                {
                    System.err.println("nc: listening on " + server.getLocalAddress());
                    socket = server.accept();
                }
            }
            else
            {
                socket = xts.connect(address, Duration.ofMillis((long)(connectTimeout * 1000)));
            }
            try (socket)
            {
                return relay(socket);
            }
        }
    }

    private int relay(final XtsSocket socket) throws Exception
    {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread upstream = Thread.ofPlatform().name("nc-stdin").daemon().start(() ->
        {
            try (FileChannel in = new FileInputStream(FileDescriptor.in).getChannel())
            {
                final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
                while (in.read(buffer) >= 0)
                {
                    buffer.flip();
                    while (buffer.hasRemaining())
                    {
                        socket.write(buffer);
                    }
                    buffer.clear();
                }
                if (!noShutdown)
                {
                    socket.shutdownOutput();
                }
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
        });
        final FileChannel out = new FileOutputStream(FileDescriptor.out).getChannel();
        final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
        try
        {
            while (socket.read(buffer) >= 0)
            {
                buffer.flip();
                while (buffer.hasRemaining())
                {
                    out.write(buffer);
                }
                buffer.clear();
            }
        }
        catch (final IOException ex)
        {
            failure.compareAndSet(null, ex);
        }
        // The peer has finished; what we still have to send matters only if the peer still reads, so wait for the
        // sender unless it failed.
        if (null == failure.get())
        {
            upstream.join();
        }
        final Throwable error = failure.get();
        if (null != error)
        {
            System.err.println("nc: " + error.getMessage());
            return 1;
        }
        return 0;
    }
}
