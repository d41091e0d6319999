package io.xts.nvme.host;

/**
 * Receives the completion of one scatter read ({@link NvmeQueue#readScatter}), on the same thread and under the same
 * rules as a {@link CompletionHandler}. On success the data comes as a {@link ScatterList} of the memory it arrived
 * in, which the handler (or whoever it passes it to, on any thread) must {@link ScatterList#release() release} once;
 * on failure there is no list: whatever had arrived was already given back.
 */
@FunctionalInterface
public interface ScatterReadHandler
{
    /**
     * @param status     {@link NvmeStatus}: 0 on success, else as for {@link CompletionHandler#onCompletion}.
     * @param data       the data on success (to be released), else null.
     * @param attachment what the caller passed with the read.
     */
    void onCompletion(int status, ScatterList data, Object attachment);
}
