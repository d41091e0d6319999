package io.xts.nvme.host;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;

/**
 * An NVMe I/O queue pair: up to {@link #depth()} reads and writes in flight, completed by a {@link CompletionHandler},
 * a {@link CompletableFuture}, or by {@link #poll()}ing on the caller's thread (completion mode
 * {@link NvmeController.CompletionMode#POLL}). Submission is thread safe; buffers must stay untouched until the
 * command completes. Transport neutral: the software transport frames PDUs and digests in this JVM; the offload
 * transport implements the same interface.
 * <p>
 * Two kinds of read. {@link #read(long, long, int, MemorySegment, long, CompletionHandler, Object) read} into the
 * caller's buffer costs one copy of the data on this host (from the received frame, or from the queue's socket
 * buffer, into the buffer; reads of large PDUs over kernel TCP go straight from the socket into the buffer, the copy
 * being the kernel's), counted by {@link #copiedBytes()}. {@link #readScatter(long, long, int, ScatterReadHandler,
 * Object) readScatter} makes none with the offload transport: the read completes with its data as a
 * {@link ScatterList} of the link frames it arrived in, which the caller releases when done.
 */
public interface NvmeQueue extends AutoCloseable
{
    /** @return the queue id (1.. for I/O queues). */
    int qid();

    /** @return most commands in flight. */
    int depth();

    /** @return commands in flight now. */
    int inFlight();

    /**
     * Read {@code blocks} logical blocks into {@code dst}.
     *
     * @param nsid       namespace.
     * @param lba        first block.
     * @param blocks     1..65536 blocks.
     * @param dst        where the data goes ({@code blocks x block size} bytes from {@code dstOffset}).
     * @param dstOffset  first byte in {@code dst}.
     * @param handler    completion.
     * @param attachment passed back to the handler.
     * @return true if submitted (the handler will be called exactly once, immediately if the queue has failed);
     *         false if {@link #depth()} commands are in flight (nothing sent, handler not called).
     */
    boolean read(long nsid, long lba, int blocks, MemorySegment dst, long dstOffset, CompletionHandler handler,
        Object attachment);

    /**
     * Read {@code blocks} logical blocks without copying them on this host: the read completes with a
     * {@link ScatterList} of the data where it arrived (the link frames, with the offload transport; the queue's bounce
     * memory, copied once, otherwise), which must be {@link ScatterList#release() released}. Until then the list holds
     * its command slot and counts against the {@link #scatterWindow()}: reads that do not fit in the window wait in
     * the queue (submitted, not refused) until lists are released, so a slow releaser slows the reads, never loses
     * data. Allocation free per read once the slot's list has grown to the read's number of pieces.
     *
     * @param nsid       namespace.
     * @param lba        first block.
     * @param blocks     1..65536 blocks.
     * @param handler    completion, with the list on success.
     * @param attachment passed back to the handler.
     * @return true if submitted (the handler will be called exactly once, immediately if the queue has failed);
     *         false if every command slot is in flight or held by an unreleased list (nothing sent, handler not
     *         called).
     * @throws IllegalArgumentException when the read is longer than the scatter window.
     */
    boolean readScatter(long nsid, long lba, int blocks, ScatterReadHandler handler, Object attachment);

    /**
     * Scatter read, completing a future with the list (to be released), exceptionally as
     * {@link #read(long, long, int, MemorySegment, long)} does.
     *
     * @param nsid   namespace.
     * @param lba    first block.
     * @param blocks 1..65536 blocks.
     * @return the completion.
     */
    CompletableFuture<ScatterList> readScatter(long nsid, long lba, int blocks);

    /**
     * @return bytes of scatter-read data this queue holds at most, in flight and in unreleased lists (through the
     *         proxy, half the XTS socket's receive window unless configured: those bytes are credited back to the
     *         proxy only when their list is released).
     */
    long scatterWindow();

    /**
     * Write {@code blocks} logical blocks from {@code src}: in the capsule up to the controller's in-capsule size,
     * else after R2T in H2CData PDUs.
     *
     * @param nsid       namespace.
     * @param lba        first block.
     * @param blocks     1..65536 blocks.
     * @param src        the data.
     * @param srcOffset  first byte in {@code src}.
     * @param handler    completion.
     * @param attachment passed back to the handler.
     * @return as {@link #read(long, long, int, MemorySegment, long, CompletionHandler, Object)}.
     */
    boolean write(long nsid, long lba, int blocks, MemorySegment src, long srcOffset, CompletionHandler handler,
        Object attachment);

    /**
     * Read, completing a future: normally on success, exceptionally with an {@link NvmeException} naming the status
     * otherwise (also {@link NvmeStatus#QUEUE_FULL}). In POLL mode someone must {@link #poll()} for it to complete.
     *
     * @param nsid      namespace.
     * @param lba       first block.
     * @param blocks    1..65536 blocks.
     * @param dst       where the data goes.
     * @param dstOffset first byte in {@code dst}.
     * @return the completion.
     */
    CompletableFuture<Void> read(long nsid, long lba, int blocks, MemorySegment dst, long dstOffset);

    /**
     * Write, completing a future (see {@link #read(long, long, int, MemorySegment, long)}).
     *
     * @param nsid      namespace.
     * @param lba       first block.
     * @param blocks    1..65536 blocks.
     * @param src       the data.
     * @param srcOffset first byte in {@code src}.
     * @return the completion.
     */
    CompletableFuture<Void> write(long nsid, long lba, int blocks, MemorySegment src, long srcOffset);

    /**
     * Receive what the controller sent, without blocking, and run the completions on this thread (POLL mode only;
     * not from a completion handler).
     *
     * @return commands completed.
     */
    int poll();

    /** @return null while the queue works; else why it failed (every command outstanding then completed with it). */
    NvmeException failure();

    /** @return C2HData PDUs whose data digest did not match. */
    long dataDigestErrors();

    /** Close the connection; outstanding commands complete with {@link NvmeStatus#QUEUE_CLOSED}. */
    @Override
    void close();

    /** @return whether the XTS proxy took this queue's NVMe/TCP framing (offload transport, ULP accepted). */
    default boolean isOffloaded()
    {
        return false;
    }

    /** @return bytes the proxy placed into registered buffers (offload transport). */
    default long placedBytes()
    {
        return 0;
    }

    /** @return bytes that came as unregistered placements (the software fallback of the offload transport). */
    default long unregisteredBytes()
    {
        return 0;
    }

    /**
     * @return bytes of read data copied in user space on this host: everything a buffer read placed (from link
     *         frames, or from the queue's receive buffer), except what a read over kernel TCP took straight from the
     *         socket into its buffer; and what a scatter read had to copy into bounce memory.
     */
    default long copiedBytes()
    {
        return 0;
    }

    /** @return bytes of scatter-read data handed to the application in the link frames they arrived in. */
    default long inPlaceBytes()
    {
        return 0;
    }
}
