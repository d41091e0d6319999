package io.xts.examples.net;

import io.xts.sockets.XtsSelectionKey;
import io.xts.sockets.XtsSelector;
import io.xts.sockets.XtsServerSocket;
import io.xts.sockets.XtsSocket;
import io.xts.sockets.XtsStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.concurrent.Callable;

/**
 * {@code xts echo-server PORT}: sends back every byte it receives, on every connection, from one thread through an
 * {@link XtsSelector}, the way an NIO server is written. Each connection has one buffer: while it holds bytes not
 * yet sent back, the server stops reading from that connection (so a client that does not read slows down its own
 * writes, nothing else); at end of stream it sends what is left, shuts its write side and closes.
 */
@Command(name = "echo-server", mixinStandardHelpOptions = true,
    description = "Echo every byte back, on any number of connections, through one XTS selector.")
public final class EchoServer implements Callable<Integer>
{
    @Mixin
    StackOptions stack;

    @Option(names = "--bind", defaultValue = "0.0.0.0",
        description = "address the proxy listens on (default ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--backlog", defaultValue = "1024", description = "listen backlog (default ${DEFAULT-VALUE})")
    int backlog;

    @Option(names = "--buffer", defaultValue = "65536", description = "bytes per connection (default ${DEFAULT-VALUE})")
    int bufferSize;

    @Parameters(index = "0", description = "port")
    int port;

    /** One connection's state: the bytes read and not yet sent back, and whether the client has finished. */
    private static final class Connection
    {
        final XtsSocket socket;
        final ByteBuffer buffer;
        boolean inputDone;

        Connection(final XtsSocket socket, final int size)
        {
            this.socket = socket;
            this.buffer = ByteBuffer.allocateDirect(size);
        }
    }

    @Override
    public Integer call() throws Exception
    {
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("PORT must be 0-65535, got " + port);
        }
        try (XtsStack xts = stack.open();
            XtsServerSocket server = xts.listen(new InetSocketAddress(InetAddress.getByName(bind), port), backlog);
            XtsSelector selector = xts.openSelector())
        {
            server.configureBlocking(false);
            selector.register(server, XtsSelectionKey.OP_ACCEPT, null);
            System.out.println("echo-server listening on " + server.getLocalAddress());
            System.out.flush();
            while (xts.isLinkUp())
            {
                selector.select(1000);
                final Iterator<XtsSelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext())
                {
                    final XtsSelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid())
                    {
                        continue;
                    }
                    if (key.isAcceptable())
                    {
                        accept(server, selector);
                    }
                    else
                    {
                        serve(key);
                    }
                }
            }
            System.err.println("echo-server: link down: " + xts.linkFailure());
            return 1;
        }
    }

    private void accept(final XtsServerSocket server, final XtsSelector selector) throws IOException
    {
        XtsSocket socket;
        while (null != (socket = server.accept()))
        {
            socket.configureBlocking(false);
            selector.register(socket, XtsSelectionKey.OP_READ, new Connection(socket, bufferSize));
        }
    }

    private static void serve(final XtsSelectionKey key)
    {
        final Connection c = (Connection)key.attachment();
        try
        {
            if (key.isReadable() && !c.inputDone)
            {
                if (c.socket.read(c.buffer) < 0)
                {
                    c.inputDone = true;
                }
            }
            c.buffer.flip();
            c.socket.write(c.buffer);
            c.buffer.compact();
            final boolean pending = c.buffer.position() > 0;
            if (c.inputDone && !pending)
            {
                key.cancel();
                c.socket.shutdownOutput();
                c.socket.close();
                return;
            }
            // Read only while there is room; write interest only while bytes wait.
            key.interestOps((c.inputDone || !c.buffer.hasRemaining() ? 0 : XtsSelectionKey.OP_READ) |
                (pending ? XtsSelectionKey.OP_WRITE : 0));
        }
        catch (final IOException ex)
        {
            key.cancel();
            try
            {
                c.socket.abort();
            }
            catch (final IOException ignored)
            {
                // Already failed; nothing more to tell the proxy.
            }
        }
    }
}
