package io.xts.examples.unmodified;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Fetches one URL into a file with the JDK's {@link HttpClient} (HTTP/1.1) and prints the status and size. Nothing
 * here knows about XTS-J. Usage: {@code java io.xts.examples.unmodified.HttpClientFetch URL FILE}; exit 0 on 200.
 */
public final class HttpClientFetch
{
    private HttpClientFetch()
    {
    }

    /**
     * @param args URL FILE.
     * @throws IOException          when the fetch fails.
     * @throws InterruptedException when interrupted.
     */
    public static void main(final String[] args) throws IOException, InterruptedException
    {
        if (2 != args.length)
        {
            System.err.println("usage: HttpClientFetch URL FILE");
            System.exit(64);
        }
        final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
        final long start = System.nanoTime();
        final HttpResponse<Path> response = client.send(HttpRequest.newBuilder(URI.create(args[0])).build(),
            HttpResponse.BodyHandlers.ofFile(Path.of(args[1])));
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("status %d, %d bytes in %.3f s%n", response.statusCode(), Files.size(response.body()),
            seconds);
        System.exit(200 == response.statusCode() ? 0 : 1);
    }
}
