package io.xts.examples.net;

import io.xts.sockets.SendClaim;
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
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code xts http-server PORT DIR}: a small HTTP/1.1 file server on XTS sockets. The proxy listens on PORT; each
 * connection is served by its own virtual thread with blocking XTS socket calls. It answers GET and HEAD for files
 * under DIR (never outside it) with Content-Length, Content-Type, Last-Modified and Date, keeps connections alive
 * as HTTP/1.1 does (and HTTP/1.0 with "Connection: keep-alive"), serves index.html for a directory, and answers
 * malformed requests with 400, other methods with 501, missing files with 404. Responses are written where they
 * leave, in the link's TX frames: the head and the start of the file in a frame claimed for them
 * ({@link XtsSocket#claim}), the rest of the file straight from the page cache ({@link XtsSocket#transferFrom}).
 */
@Command(name = "http-server", mixinStandardHelpOptions = true,
    description = "Serve the files under DIR over HTTP/1.1 (GET, HEAD, keep-alive) through XTS sockets.")
public final class HttpServer implements Callable<Integer>
{
    private static final int MAX_HEADER = 16 * 1024;
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

    @Mixin
    StackOptions stack;

    @Option(names = "--bind", defaultValue = "0.0.0.0",
        description = "address the proxy listens on (default ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--backlog", defaultValue = "1024", description = "listen backlog (default ${DEFAULT-VALUE})")
    int backlog;

    @Option(names = "--idle-timeout", defaultValue = "30",
        description = "seconds a kept-alive connection may wait for its next request (default ${DEFAULT-VALUE})")
    int idleTimeout;

    @Parameters(index = "0", description = "port")
    int port;

    @Parameters(index = "1", description = "directory to serve")
    Path root;

    private final AtomicLong requests = new AtomicLong();

    @Override
    public Integer call() throws Exception
    {
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("PORT must be 0-65535, got " + port);
        }
        if (!Files.isDirectory(root))
        {
            throw new IllegalArgumentException("DIR is not a directory: " + root);
        }
        root = root.toRealPath();
        try (XtsStack xts = stack.open();
            XtsServerSocket server = xts.listen(new InetSocketAddress(InetAddress.getByName(bind), port), backlog);
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor())
        {
            System.out.println("http-server listening on " + server.getLocalAddress() + " serving " + root);
            System.out.flush();
            while (true)
            {
                final XtsSocket socket = server.accept();
                threads.execute(() -> serve(socket));
            }
        }
    }

    private void serve(final XtsSocket socket)
    {
        final ByteBuffer in = ByteBuffer.allocate(MAX_HEADER);
        try (socket)
        {
            socket.setSoTimeout(idleTimeout * 1000);
            boolean keepAlive = true;
            while (keepAlive)
            {
                final String head = readHead(socket, in);
                if (null == head)
                {
                    return;
                }
                keepAlive = respond(socket, head);
            }
            socket.shutdownOutput();
        }
        catch (final SocketTimeoutException ex)
        {
            // An idle kept-alive connection: close it, as every server does.
        }
        catch (final IOException ex)
        {
            System.err.println("http-server: connection " + socket.id() + ": " + ex.getMessage());
        }
    }

    /**
     * Read up to the blank line that ends a request head; bytes after it (a pipelined request) stay in {@code in}.
     *
     * @return the head, or null when the client closed between requests.
     */
    private static String readHead(final XtsSocket socket, final ByteBuffer in) throws IOException
    {
        while (true)
        {
            final int end = headEnd(in);
            if (end >= 0)
            {
                final String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
                final int consumed = end + 4;
                in.flip().position(consumed);
                in.compact();
                return head;
            }
            if (!in.hasRemaining())
            {
                throw new IOException("request head longer than " + MAX_HEADER + " bytes");
            }
            if (socket.read(in) < 0)
            {
                if (in.position() > 0)
                {
                    throw new IOException("connection closed in the middle of a request head");
                }
                return null;
            }
        }
    }

    private static int headEnd(final ByteBuffer in)
    {
        final byte[] a = in.array();
        for (int i = 0; i + 3 < in.position(); i++)
        {
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * @return whether the connection stays open for another request.
     */
    private boolean respond(final XtsSocket socket, final String head) throws IOException
    {
        requests.incrementAndGet();
        final String[] lines = head.split("\r\n");
        final String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1."))
        {
            sendError(socket, 400, "Bad Request", false);
            return false;
        }
        final String method = requestLine[0];
        final boolean http11 = "HTTP/1.1".equals(requestLine[2]);
        String connection = "";
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon <= 0)
            {
                sendError(socket, 400, "Bad Request", false);
                return false;
            }
            if ("connection".equalsIgnoreCase(lines[i].substring(0, colon).trim()))
            {
                connection = lines[i].substring(colon + 1).trim().toLowerCase(Locale.ROOT);
            }
        }
        final boolean keepAlive = http11 ? !connection.contains("close") : connection.contains("keep-alive");
        if (!"GET".equals(method) && !"HEAD".equals(method))
        {
            sendError(socket, 501, "Not Implemented", keepAlive);
            return keepAlive;
        }
        final Path path = resolve(requestLine[1]);
        if (null == path)
        {
            sendError(socket, 404, "Not Found", keepAlive);
            return keepAlive;
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final long size = channel.size();
            final String header = "HTTP/1.1 200 OK\r\n" +
                "Date: " + HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\r\n" +
                "Server: xts-http-server\r\n" +
                "Content-Type: " + contentType(path) + "\r\n" +
                "Content-Length: " + size + "\r\n" +
                "Last-Modified: " +
                HTTP_DATE.format(Files.getLastModifiedTime(path).toInstant().atZone(ZoneOffset.UTC)) +
                "\r\n" +
                "Connection: " + (keepAlive ? "keep-alive" : "close") + "\r\n\r\n";
            final long body = "GET".equals(method) ? size : 0;
            final long sent = sendHeadAndStart(socket, header.getBytes(StandardCharsets.ISO_8859_1), channel, body);
            if (sent < body && socket.transferFrom(channel, sent, body - sent) < body - sent)
            {
                throw new IOException(path + " shrank while being sent");
            }
        }
        return keepAlive;
    }

    /**
     * Send the response head and as much of the body as fits with it in one TX frame claimed for them: the head is
     * put there, the file read in after it, so a small file's whole response leaves in one frame.
     *
     * @return body bytes sent.
     */
    private static long sendHeadAndStart(
        final XtsSocket socket, final byte[] head, final FileChannel file, final long body) throws IOException
    {
        final SendClaim claim = socket.claim((int)Math.min(Integer.MAX_VALUE, head.length + body));
        if (claim.length() < head.length)
        {
            // Less credit than the head needs just now: send it as a plain write.
            claim.abort();
            writeAll(socket, ByteBuffer.wrap(head));
            return 0;
        }
        final ByteBuffer room = claim.byteBuffer();
        room.put(head);
        long sent = 0;
        try
        {
            int n = 0;
            while (room.hasRemaining() && sent < body && (n = file.read(room, sent)) >= 0)
            {
                sent += n;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            claim.abort();
            throw ex;
        }
        claim.commitBuffer();
        if (sent == body)
        {
            socket.flush();
        }
        return sent;
    }

    /**
     * @return the file for a request target, or null when it does not name a readable file under the root.
     */
    private Path resolve(final String target)
    {
        final String rawPath;
        try
        {
            rawPath = new URI(target).getPath();
        }
        catch (final URISyntaxException ex)
        {
            return null;
        }
        if (null == rawPath || !rawPath.startsWith("/"))
        {
            return null;
        }
        Path path = root.resolve(rawPath.substring(1)).normalize();
        if (!path.startsWith(root))
        {
            return null;
        }
        if (Files.isDirectory(path))
        {
            path = path.resolve("index.html");
        }
        return Files.isRegularFile(path) && Files.isReadable(path) ? path : null;
    }

    private static String contentType(final Path path)
    {
        final String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".html") || name.endsWith(".htm"))
        {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".txt"))
        {
            return "text/plain; charset=utf-8";
        }
        if (name.endsWith(".json"))
        {
            return "application/json";
        }
        if (name.endsWith(".css"))
        {
            return "text/css";
        }
        if (name.endsWith(".js"))
        {
            return "text/javascript";
        }
        if (name.endsWith(".png"))
        {
            return "image/png";
        }
        return "application/octet-stream";
    }

    private static void sendError(final XtsSocket socket, final int status, final String reason,
        final boolean keepAlive) throws IOException
    {
        final String body = status + " " + reason + "\n";
        final String response = "HTTP/1.1 " + status + " " + reason + "\r\n" +
            "Date: " + HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\r\n" +
            "Server: xts-http-server\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Length: " + body.length() + "\r\n" +
            "Connection: " + (keepAlive ? "keep-alive" : "close") + "\r\n\r\n" + body;
        writeAll(socket, ByteBuffer.wrap(response.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static void writeAll(final XtsSocket socket, final ByteBuffer buffer) throws IOException
    {
        while (buffer.hasRemaining())
        {
            socket.write(buffer);
        }
    }
}
