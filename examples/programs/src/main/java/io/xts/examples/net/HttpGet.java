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
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code xts http-get URL [-o FILE]}: fetch one http:// URL through XTS sockets with HTTP/1.1 and write the body to
 * FILE or standard output. It understands Content-Length, chunked transfer coding and bodies that end with the
 * connection, and prints one summary line to standard error
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
            OutputStream out = null != output ? Files.newOutputStream(output) : new FileOutputStream(FileDescriptor.out))
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
            final byte[] chunk = new byte[in.capacity()];
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
                    bytes += copy(n, out, sha, chunk);
                    readLine();
                }
            }
            else
            {
                bytes = copy(contentLength, out, sha, chunk);
            }
            out.flush();
            final double seconds = (System.nanoTime() - start) / 1e9;
            System.err.printf(Locale.ROOT, "http-get status=%d bytes=%d seconds=%.3f sha256=%s%n", status, bytes,
                seconds, HexFormat.of().formatHex(sha.digest()));
            return status >= 200 && status < 300 ? 0 : 1;
        }
    }

    /**
     * Copy {@code length} body bytes (all until the connection ends when negative) to the output.
     */
    private long copy(final long length, final OutputStream out, final MessageDigest sha, final byte[] chunk)
        throws IOException
    {
        long copied = 0;
        while (length < 0 || copied < length)
        {
            if (!in.hasRemaining() && !fill())
            {
                if (length >= 0)
                {
                    throw new IOException("connection ended after " + copied + " of " + length + " body bytes");
                }
                break;
            }
            final int n = (int)Math.min(in.remaining(), length < 0 ? Long.MAX_VALUE : length - copied);
            in.get(chunk, 0, n);
            out.write(chunk, 0, n);
            sha.update(chunk, 0, n);
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
