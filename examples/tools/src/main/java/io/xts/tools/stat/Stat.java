package io.xts.tools.stat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xts.link.LinkCounters;
import io.xts.status.CountersFile;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code xts stat}: shows the counters of running XTS processes, read live from their memory-mapped counters files
 * (as AeronStat reads the CnC file): refreshing in place by default, or once, as text or JSON for scripts. Besides
 * the raw counters it shows each link's smoothed round-trip time (the link's RFC 6298 estimate, a gauge of type
 * {@link LinkCounters#SMOOTHED_RTT_TYPE_ID}) in microseconds, the latency figure of a running link.
 */
@Command(name = "stat", mixinStandardHelpOptions = true,
    description = {"Show the counters of XTS processes from their counters files, live or once.",
        "Files are the arguments, or every *.counters file in --dir."})
public final class Stat implements Callable<Integer>
{
    /** Where XTS processes put their counters files unless told otherwise. */
    public static final String DEFAULT_DIR = "/dev/shm/xts";

    @Parameters(arity = "0..*", description = "counters files (default: every *.counters in --dir)")
    List<Path> files = new ArrayList<>();

    @Option(names = "--dir", defaultValue = DEFAULT_DIR,
        description = "directory to look in (default ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--once", description = "print once and exit")
    boolean once;

    @Option(names = "--json", description = "print JSON (implies --once)")
    boolean json;

    @Option(names = "--interval-ms", defaultValue = "1000", description = "refresh interval (default ${DEFAULT-VALUE})")
    long intervalMs;

    @Option(names = "--count", defaultValue = "0", description = "refreshes before exiting, 0 for no limit")
    int count;

    @Option(names = "--filter", description = "only counters whose label matches this regular expression")
    Pattern filter;

    PrintStream out = System.out;

    @Override
    public Integer call() throws Exception
    {
        if (intervalMs <= 0)
        {
            throw new IllegalArgumentException("--interval-ms must be positive, got " + intervalMs);
        }
        int shown = 0;
        while (true)
        {
            final List<Path> paths = paths();
            if (json)
            {
                out.println(json(paths));
                return 0;
            }
            if (!once)
            {
                out.print("\033[H\033[2J");
            }
            out.print(text(paths));
            out.flush();
            if (once || (count > 0 && ++shown >= count))
            {
                return 0;
            }
            Thread.sleep(intervalMs);
        }
    }

    private List<Path> paths() throws IOException
    {
        if (!files.isEmpty())
        {
            return files;
        }
        final List<Path> found = new ArrayList<>();
        if (Files.isDirectory(dir))
        {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.counters"))
            {
                stream.forEach(found::add);
            }
        }
        found.sort(null);
        return found;
    }

    private boolean shown(final String label)
    {
        return null == filter || filter.matcher(label).find();
    }

    private static boolean alive(final int pid)
    {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    String text(final List<Path> paths)
    {
        final StringBuilder sb = new StringBuilder();
        if (paths.isEmpty())
        {
            sb.append("no counters files (looked in ").append(dir).append(")\n");
        }
        for (final Path path : paths)
        {
            try (CountersFile file = CountersFile.openForReading(path))
            {
                sb.append(String.format(Locale.ROOT, "%s  pid %d (%s)%n", path, file.pid(),
                    alive(file.pid()) ? "running" : "not running"));
                file.reader().forEach((value, id, label) ->
                {
                    if (shown(label))
                    {
                        sb.append(String.format(Locale.ROOT, "%5d %20d  %s%n", id, value, label));
                    }
                });
                forEachLinkRtt(file.reader(), (link, rttNs) -> sb.append(String.format(Locale.ROOT,
                    "      link %s smoothed RTT %s%n", link, 0 == rttNs ? "- (no sample yet)" :
                    String.format(Locale.ROOT, "%.1f us", rttNs / 1000.0))));
            }
            catch (final IllegalArgumentException ex)
            {
                sb.append(path).append(": ").append(ex.getMessage()).append('\n');
            }
        }
        return sb.toString();
    }

    String json(final List<Path> paths) throws IOException
    {
        final StringWriter writer = new StringWriter();
        try (JsonGenerator g = new ObjectMapper().getFactory().createGenerator(writer))
        {
            g.writeStartObject();
            g.writeArrayFieldStart("files");
            for (final Path path : paths)
            {
                g.writeStartObject();
                g.writeStringField("path", path.toString());
                try (CountersFile file = CountersFile.openForReading(path))
                {
                    g.writeNumberField("pid", file.pid());
                    g.writeBooleanField("running", alive(file.pid()));
                    g.writeNumberField("startTimeMs", file.startTimeMs());
                    g.writeArrayFieldStart("counters");
                    file.reader().forEach((value, id, label) ->
                    {
                        if (shown(label))
                        {
                            try
                            {
                                g.writeStartObject();
                                g.writeNumberField("id", id);
                                g.writeNumberField("type", file.reader().getCounterTypeId(id));
                                g.writeStringField("label", label);
                                g.writeNumberField("value", value);
                                g.writeEndObject();
                            }
                            catch (final IOException ex)
                            {
                                throw new UncheckedIOException(ex);
                            }
                        }
                    });
                    g.writeEndArray();
                    g.writeArrayFieldStart("links");
                    forEachLinkRtt(file.reader(), (link, rttNs) ->
                    {
                        try
                        {
                            g.writeStartObject();
                            g.writeStringField("link", link);
                            g.writeNumberField("smoothedRttUs", rttNs / 1000.0);
                            g.writeEndObject();
                        }
                        catch (final IOException ex)
                        {
                            throw new UncheckedIOException(ex);
                        }
                    });
                    g.writeEndArray();
                }
                catch (final IllegalArgumentException ex)
                {
                    g.writeStringField("error", ex.getMessage());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return writer.toString();
    }

    /** Receives one link's smoothed round-trip time. */
    @FunctionalInterface
    interface LinkRttConsumer
    {
        void accept(String link, long rttNs);
    }

    /**
     * Each link's smoothed round-trip time in a counters file, whatever --filter says: the link's name is its
     * counter's label between "link " and the last word.
     */
    static void forEachLinkRtt(final CountersReader reader, final LinkRttConsumer consumer)
    {
        final String suffix = " " + LinkCounters.SMOOTHED_RTT_LABEL;
        reader.forEach((value, id, label) ->
        {
            if (LinkCounters.SMOOTHED_RTT_TYPE_ID == reader.getCounterTypeId(id) && label.startsWith("link ") &&
                label.endsWith(suffix))
            {
                consumer.accept(label.substring("link ".length(), label.length() - suffix.length()), value);
            }
        });
    }
}
