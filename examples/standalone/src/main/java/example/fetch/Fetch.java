package example.fetch;

import io.xts.sockets.XtsSocket;
import io.xts.sockets.XtsStack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * An application outside the XTS-J build: sends an HTTP/1.0 GET through the offload proxy with XTS sockets and
 * prints the response's size and the SHA-256 of its body. Usage: {@code Fetch IFACE HOST PORT PATH}.
 */
public final class Fetch
{
    private Fetch()
    {
    }

    /**
     * @param args interface of the link to the proxy, then host, port and path of the web server.
     * @throws IOException when the link, the connection or the transfer fails.
     * @throws NoSuchAlgorithmException never (SHA-256 is always there).
     */
    public static void main(final String[] args) throws IOException, NoSuchAlgorithmException
    {
        if (4 != args.length)
        {
            System.err.println("usage: Fetch IFACE HOST PORT PATH");
            System.exit(2);
        }
        final InetSocketAddress server = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        try (XtsStack stack = XtsStack.builder().iface(args[0]).build();
            XtsSocket socket = stack.connect(server, Duration.ofSeconds(10)))
        {
            final ByteBuffer request = ByteBuffer.wrap(("GET " + args[3] + " HTTP/1.0\r\nHost: " + args[1] +
                "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            while (request.hasRemaining())
            {
                socket.write(request);
            }
            final MessageDigest body = MessageDigest.getInstance("SHA-256");
            final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            final StringBuilder head = new StringBuilder();
            long bodyBytes = 0;
            boolean inBody = false;
            while (socket.read(buffer.clear()) >= 0)
            {
                buffer.flip();
                while (!inBody && buffer.hasRemaining())
                {
                    head.append((char)(buffer.get() & 0xff));
                    inBody = head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4;
                }
                bodyBytes += buffer.remaining();
                body.update(buffer);
            }
            System.out.println("fetch status=" + head.substring(0, head.indexOf("\r\n")) + " bytes=" + bodyBytes +
                " sha256=" + HexFormat.of().formatHex(body.digest()));
        }
    }
}
