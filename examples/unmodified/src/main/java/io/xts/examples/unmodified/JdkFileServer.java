package io.xts.examples.unmodified;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

/**
 * A file server on the JDK's own HTTP server ({@code com.sun.net.httpserver}): GET /NAME sends DIR/NAME, with
 * keep-alive, one virtual thread per exchange. Nothing here knows about XTS-J.
 * Usage: {@code java io.xts.examples.unmodified.JdkFileServer PORT DIR}.
 */
public final class JdkFileServer
{
    private JdkFileServer()
    {
    }

    /**
     * @param args PORT DIR.
     * @throws IOException when the server cannot be created.
     */
    public static void main(final String[] args) throws IOException
    {
        if (2 != args.length)
        {
            System.err.println("usage: JdkFileServer PORT DIR");
            System.exit(64);
        }
        final int port = Integer.parseInt(args[0]);
        final Path root = Path.of(args[1]).toAbsolutePath().normalize();
        final HttpServer server = HttpServer.create(new InetSocketAddress(port), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> serve(root, exchange));
        server.start();
        System.out.println("listening on " + server.getAddress());
    }

    private static void serve(final Path root, final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            exchange.getRequestBody().readAllBytes();
            final Path file = root.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!"GET".equals(exchange.getRequestMethod()) || !file.startsWith(root) || !Files.isRegularFile(file))
            {
                final byte[] body = "not found\n".getBytes(StandardCharsets.US_ASCII);
                exchange.sendResponseHeaders(404, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, Files.size(file));
            try (OutputStream out = exchange.getResponseBody())
            {
                Files.copy(file, out);
            }
        }
    }
}
