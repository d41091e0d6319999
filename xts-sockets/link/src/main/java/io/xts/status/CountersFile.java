package io.xts.status;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A memory-mapped counters file, as Aeron's CnC file holds its counters: a small header, then Agrona counter
 * metadata, then counter values. A process (the proxy, a link tool) allocates its counters here with
 * {@link #manager()}; another process maps the same file read-only with {@link #openForReading(Path)} and reads them
 * live ({@code xts stat}). Values are written with ordered stores by their owners and read with volatile loads, so a
 * reader sees each counter's latest value without any coordination.
 * <p>
 * Layout (little-endian, the machine's own): magic "XTSCNTR1" (8 bytes), version (int), pid (int), start time in
 * epoch milliseconds (long), metadata length (int), values length (int), padding to 64 bytes; metadata; values.
 */
public final class CountersFile implements AutoCloseable
{
    /** File magic, "XTSCNTR1". */
    public static final long MAGIC = 0x3152544E43535458L;
    /** Layout version. */
    public static final int VERSION = 1;
    /** Bytes before the metadata. */
    public static final int HEADER_LENGTH = 64;
    private static final int VERSION_OFFSET = 8;
    private static final int PID_OFFSET = 12;
    private static final int START_OFFSET = 16;
    private static final int METADATA_LENGTH_OFFSET = 24;
    private static final int VALUES_LENGTH_OFFSET = 28;

    private final Path path;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersManager manager;
    private final CountersReader reader;
    private final boolean owner;
    private boolean closed;

    private CountersFile(final Path path, final MappedByteBuffer mapped, final boolean owner, final int metadataLength,
        final int valuesLength)
    {
        this.path = path;
        this.mapped = mapped;
        this.owner = owner;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        final UnsafeBuffer metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        final UnsafeBuffer values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
        this.manager = owner ? new CountersManager(metadata, values) : null;
        this.reader = owner ? manager : new CountersReader(metadata, values);
    }

    /**
     * Create (or replace) a counters file with room for {@code maxCounters} counters.
     *
     * @param path        where.
     * @param maxCounters how many counters it can hold.
     * @return the file, mapped read-write.
     */
    public static CountersFile create(final Path path, final int maxCounters)
    {
        if (maxCounters <= 0)
        {
            throw new IllegalArgumentException("maxCounters must be positive, got " + maxCounters);
        }
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        final int metadataLength = maxCounters * CountersReader.METADATA_LENGTH;
        final File file = path.toFile();
        try
        {
            Files.deleteIfExists(path);
            final MappedByteBuffer mapped = IoUtil.mapNewFile(file, HEADER_LENGTH + metadataLength + valuesLength);
            final CountersFile counters = new CountersFile(path, mapped, true, metadataLength, valuesLength);
            counters.header.putInt(VERSION_OFFSET, VERSION);
            counters.header.putInt(PID_OFFSET, (int)ProcessHandle.current().pid());
            counters.header.putLong(START_OFFSET, System.currentTimeMillis());
            counters.header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
            counters.header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
            counters.header.putLongVolatile(0, MAGIC);
            return counters;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create the counters file " + path, ex);
        }
    }

    /**
     * Map an existing counters file for reading.
     *
     * @param path the file.
     * @return the file, mapped; only {@link #reader()} is usable.
     * @throws IllegalArgumentException when it is not a counters file (wrong magic, version or lengths).
     */
    public static CountersFile openForReading(final Path path)
    {
        if (!Files.isRegularFile(path))
        {
            throw new IllegalArgumentException("no counters file at " + path);
        }
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(path.toFile(), "XTS counters");
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, Math.min(HEADER_LENGTH, mapped.capacity()));
        if (mapped.capacity() < HEADER_LENGTH || MAGIC != header.getLongVolatile(0))
        {
            IoUtil.unmap(mapped);
            throw new IllegalArgumentException(path + " is not an XTS counters file (bad magic)");
        }
        final int version = header.getInt(VERSION_OFFSET);
        final int metadataLength = header.getInt(METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
        if (VERSION != version || metadataLength < 0 || valuesLength < 0 ||
            (long)HEADER_LENGTH + metadataLength + valuesLength > mapped.capacity())
        {
            IoUtil.unmap(mapped);
            throw new IllegalArgumentException(path + ": unsupported counters file (version " + version +
                ", metadata " + metadataLength + " B, values " + valuesLength + " B, file " + mapped.capacity() +
                " B)");
        }
        return new CountersFile(path, mapped, false, metadataLength, valuesLength);
    }

    /**
     * @return where the counters are allocated (owner only).
     */
    public CountersManager manager()
    {
        if (null == manager)
        {
            throw new IllegalStateException(path + " is mapped for reading only");
        }
        return manager;
    }

    /**
     * @return a reader of every counter.
     */
    public CountersReader reader()
    {
        return reader;
    }

    /**
     * @return pid of the process that created the file.
     */
    public int pid()
    {
        return header.getInt(PID_OFFSET);
    }

    /**
     * @return when the file was created, epoch milliseconds.
     */
    public long startTimeMs()
    {
        return header.getLong(START_OFFSET);
    }

    /**
     * @return the file's path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Unmap; the owner also deletes the file, so a stats tool never shows a dead process's counters as live.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        IoUtil.unmap(mapped);
        if (owner)
        {
            try
            {
                Files.deleteIfExists(path);
            }
            catch (final IOException ignore)
            {
                // best effort: a stale file is recognised by its pid
            }
        }
    }
}
