package io.xts.examples.net;

import io.xts.sockets.SendClaim;
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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code xts nc [-l] HOST PORT}: netcat over XTS sockets. It connects through the proxy to HOST:PORT (or, with -l,
 * has the proxy listen on HOST:PORT and takes one connection), then copies standard input to the connection and the
 * connection to standard output, both at once, without copying in Java: standard input is read straight into the
 * link's TX frames (a file through {@link XtsSocket#transferFrom}, a pipe or terminal through
 * {@link XtsSocket#claim}) and the connection's bytes go from the frames they arrived in to standard output
 * ({@link XtsSocket#transferTo}). End of standard input shuts down the write side (the peer sees FIN)
 * while data from the peer still arrives; the command ends when the peer has finished too, so half-close works both
 * ways. Exit status 0 on a clean end, 1 on an error (printed to standard error).
 */
@Command(name = "nc", mixinStandardHelpOptions = true,
    description = {"netcat over XTS sockets: stdin to the connection, the connection to stdout.",
        "End of stdin sends FIN (half-close); the command ends when the peer closes its side too."})
public final class Nc implements Callable<Integer>
{
    private static final int BUFFER = 64 * 1024;
    private static final Path STDIN = Path.of("/proc/self/fd/0");

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
                if (Files.isRegularFile(STDIN))
                {
                    sendFile(socket, in);
                }
                sendStream(socket, in);
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
        try
        {
            // Straight from the frames the bytes arrived in to standard output.
            while (socket.transferTo(out, Long.MAX_VALUE) >= 0)
            {
                Thread.onSpinWait();
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

    /**
     * Standard input is a file: send it from the page cache straight into the link's TX frames, up to its current
     * size; the stream loop after takes whatever it grew by meanwhile.
     */
    private static void sendFile(final XtsSocket socket, final FileChannel in) throws IOException
    {
        long position = in.position();
        final long size = in.size();
        while (position < size)
        {
            final long n = socket.transferFrom(in, position, size - position);
            if (0 == n)
            {
                break;
            }
            position += n;
        }
        in.position(position);
    }

    /**
     * Standard input is a pipe or a terminal: each read goes straight into a TX frame claimed for it and is sent as
     * it is (a read that returns little sends little, at once).
     */
    private static void sendStream(final XtsSocket socket, final FileChannel in) throws IOException
    {
        while (true)
        {
            final SendClaim claim = socket.claim(BUFFER);
            final int n;
            try
            {
                n = in.read(claim.byteBuffer());
            }
            catch (final IOException | RuntimeException ex)
            {
                claim.abort();
                throw ex;
            }
            if (n < 0)
            {
                claim.abort();
                return;
            }
            final boolean full = n == claim.length();
            claim.commitBuffer();
            if (!full)
            {
                // A short read: input comes in bursts (a terminal, a slow pipe), so send this one now.
                socket.flush();
            }
        }
    }
}
