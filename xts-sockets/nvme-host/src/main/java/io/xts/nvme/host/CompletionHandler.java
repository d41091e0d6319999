package io.xts.nvme.host;

/**
 * Receives the completion of one command. Called exactly once per accepted command, on the queue's reader thread
 * (completion mode {@link NvmeController.CompletionMode#THREAD}) or inside {@link NvmeQueue#poll()} on the polling
 * thread ({@link NvmeController.CompletionMode#POLL}); it may submit further commands but must not block for long
 * (it holds up the queue's receive loop) and must not call {@link NvmeQueue#poll()}. When it runs, the command's
 * buffer belongs to the caller again.
 */
@FunctionalInterface
public interface CompletionHandler
{
    /**
     * @param status     {@link NvmeStatus}: 0 on success; else the CQE status (SCT, SC, CRD, M, DNR) or a host-side
     *                   error ({@link NvmeStatus#DATA_DIGEST_ERROR}, {@link NvmeStatus#QUEUE_FAILED}, ...).
     * @param result     CQE DW1:DW0 (command specific; 0 for reads and writes).
     * @param attachment what the caller passed with the command.
     */
    void onCompletion(int status, long result, Object attachment);
}
