package io.xts.examples.net;

import io.xts.sockets.XtsSocket;
import io.xts.sockets.XtsStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code xts http-get URL [-o FILE]}: fetch one http:// URL through XTS sockets with HTTP/1.1 and write the body to
 * FILE or standard output. It understands Content-Length, chunked transfer coding and bodies that end with the
 * connection. With -o the body goes from the frames it arrived in straight to the file ({@link XtsSocket#transferTo},
 * no copy in Java; the digest is then read back from the file). It prints one summary line to standard error
 * ({@code http-get status=200 bytes=... seconds=... sha256=...}). Exit status 0 for a 2xx answer, 1 otherwise.
 */
@Command(name = "http-get", mixinStandardHelpOptions = true,
    description = {"Fetch an http:// URL through XTS sockets; body to FILE or stdout, a summary line to stderr."})
public final class HttpGet implements Callable<Integer>
{
    @Mixin
    StackOptions stack;

    @Option(names = {"-o", "--output"}, description = "write the body here instead of standard output")
    Path output;

    @Option(names = "--connect-timeout", defaultValue = "10", description = "seconds (default ${DEFAULT-VALUE})")
    double connectTimeout;

    @Parameters(index = "0", description = "http://HOST[:PORT]/PATH (HOST an address or a name this host resolves)")
    URI url;

    private XtsSocket socket;
    private final ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024).flip();

    @Override
    public Integer call() throws Exception
    {
        if (!"http".equalsIgnoreCase(url.getScheme()) || null == url.getHost())
        {
            throw new IllegalArgumentException("URL must be http://HOST[:PORT]/PATH, got " + url);
        }
        final int port = -1 == url.getPort() ? 80 : url.getPort();
        final String path = (null == url.getRawPath() || url.getRawPath().isEmpty() ? "/" : url.getRawPath()) +
            (null == url.getRawQuery() ? "" : "?" + url.getRawQuery());
        final InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(url.getHost()), port);
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        final long start = System.nanoTime();
        try (XtsStack xts = stack.open();
            XtsSocket s = xts.connect(address, Duration.ofMillis((long)(connectTimeout * 1000)));
            Body out = null != output ? new FileBody(output) : new StreamBody(sha))
        {
            socket = s;
            final String request = "GET " + path + " HTTP/1.1\r\nHost: " + url.getHost() + (-1 == url.getPort() ? "" :
                ":" + port) + "\r\nUser-Agent: xts-http-get\r\nAccept: */*\r\nConnection: close\r\n\r\n";
            final ByteBuffer req = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
            while (req.hasRemaining())
            {
                socket.write(req);
            }
            final String statusLine = readLine();
            final String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1."))
            {
                throw new IOException("not an HTTP response: '" + statusLine + "'");
            }
            final int status = Integer.parseInt(parts[1]);
            long contentLength = -1;
            boolean chunked = false;
            String line;
            while (!(line = readLine()).isEmpty())
            {
                final int colon = line.indexOf(':');
                if (colon <= 0)
                {
                    throw new IOException("malformed header line '" + line + "'");
                }
                final String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                final String value = line.substring(colon + 1).trim();
                if ("content-length".equals(name))
                {
                    contentLength = Long.parseLong(value);
                }
                else if ("transfer-encoding".equals(name) && value.toLowerCase(Locale.ROOT).contains("chunked"))
                {
                    chunked = true;
                }
            }
            long bytes = 0;
            if (chunked)
            {
                while (true)
                {
                    final String size = readLine();
                    final long n = Long.parseLong(size.split(";", 2)[0].trim(), 16);
                    if (0 == n)
                    {
                        while (!readLine().isEmpty())
                        {
                            // trailers: ignored
                        }
                        break;
                    }
                    bytes += copy(n, out);
                    readLine();
                }
            }
            else
            {
                bytes = copy(contentLength, out);
            }
            out.finish();
            if (null != output)
            {
                digestFile(output, sha);
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.err.printf(Locale.ROOT, "http-get status=%d bytes=%d seconds=%.3f sha256=%s%n", status, bytes,
                seconds, HexFormat.of().formatHex(sha.digest()));
            return status >= 200 && status < 300 ? 0 : 1;
        }
    }

    /**
     * Where the body goes: bytes already read into {@link #in}, and bytes still waiting on the socket.
     */
    private interface Body extends AutoCloseable
    {
        /**
         * Take {@code src}'s remaining bytes.
         */
        void write(ByteBuffer src) throws IOException;

        /**
         * Take up to {@code max} bytes waiting on the socket, waiting for some.
         *
         * @return bytes taken, -1 at the end of the stream.
         */
        long fromSocket(XtsSocket socket, long max) throws IOException;

        /**
         * Everything was written.
         */
        void finish() throws IOException;

        @Override
        void close() throws IOException;
    }

    /**
     * To standard output through a buffer, digesting as it goes.
     */
    private final class StreamBody implements Body
    {
        private final OutputStream out = new FileOutputStream(FileDescriptor.out);
        private final MessageDigest sha;
        private final byte[] chunk = new byte[in.capacity()];

        StreamBody(final MessageDigest sha)
        {
            this.sha = sha;
        }

        @Override
        public void write(final ByteBuffer src) throws IOException
        {
            while (src.hasRemaining())
            {
                final int n = Math.min(src.remaining(), chunk.length);
                src.get(chunk, 0, n);
                out.write(chunk, 0, n);
                sha.update(chunk, 0, n);
            }
        }

        @Override
        public long fromSocket(final XtsSocket socket, final long max) throws IOException
        {
            if (!fill())
            {
                return -1;
            }
            final int n = (int)Math.min(in.remaining(), max);
            final int limit = in.limit();
            in.limit(in.position() + n);
            write(in);
            in.limit(limit);
            return n;
        }

        @Override
        public void finish() throws IOException
        {
            out.flush();
        }

        @Override
        public void close() throws IOException
        {
            out.close();
        }
    }

    /**
     * To a file, straight from the frames the bytes arrived in ({@link XtsSocket#transferTo}); digested afterwards
     * from the file.
     */
    private static final class FileBody implements Body
    {
        private final FileChannel file;

        FileBody(final Path path) throws IOException
        {
            file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        public void write(final ByteBuffer src) throws IOException
        {
            while (src.hasRemaining())
            {
                file.write(src);
            }
        }

        @Override
        public long fromSocket(final XtsSocket socket, final long max) throws IOException
        {
            return socket.transferTo(file, max);
        }

        @Override
        public void finish()
        {
        }

        @Override
        public void close() throws IOException
        {
            file.close();
        }
    }

    private static void digestFile(final Path path, final MessageDigest sha) throws IOException
    {
        try (InputStream file = Files.newInputStream(path))
        {
            final byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = file.read(buffer)) > 0)
            {
                sha.update(buffer, 0, n);
            }
        }
    }

    /**
     * Hand {@code length} body bytes (all until the connection ends when negative) to the body: first what was read
     * ahead with the head, then what waits on the socket.
     */
    private long copy(final long length, final Body out) throws IOException
    {
        long copied = 0;
        while (length < 0 || copied < length)
        {
            if (in.hasRemaining())
            {
                final int n = (int)Math.min(in.remaining(), length < 0 ? Long.MAX_VALUE : length - copied);
                final int limit = in.limit();
                in.limit(in.position() + n);
                out.write(in);
                in.limit(limit);
                copied += n;
                continue;
            }
            final long n = out.fromSocket(socket, length < 0 ? Long.MAX_VALUE : length - copied);
            if (n < 0)
            {
                if (length >= 0)
                {
                    throw new IOException("connection ended after " + copied + " of " + length + " body bytes");
                }
                break;
            }
            copied += n;
        }
        return copied;
    }

    private boolean fill() throws IOException
    {
        in.compact();
        try
        {
            return socket.read(in) >= 0;
        }
        finally
        {
            in.flip();
        }
    }

    private String readLine() throws IOException
    {
        final StringBuilder line = new StringBuilder();
        while (true)
        {
            if (!in.hasRemaining() && !fill())
            {
                throw new IOException("connection ended in the middle of the response head");
            }
            final char c = (char)(in.get() & 0xFF);
            if ('\n' == c)
            {
                final int last = line.length() - 1;
                if (last >= 0 && '\r' == line.charAt(last))
                {
                    line.setLength(last);
                }
                return line.toString();
            }
            if (line.length() > 16 * 1024)
            {
                throw new IOException("response header line longer than 16 KiB");
            }
            line.append(c);
        }
    }
}
