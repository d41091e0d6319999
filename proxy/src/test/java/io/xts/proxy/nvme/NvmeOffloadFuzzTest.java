package io.xts.proxy.nvme;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing, with Jazzer, of the proxy's NVMe/TCP offload engine fed by a malicious controller: any
 * byte stream from the target side, chunked as the input says, through {@link NvmeOffloadFuzzTarget}. A finding is
 * any exception, a claim outside the link's bounds, a failure without a reason, or an engine that stops taking bytes
 * or never settles.
 * <p>
 * Without {@code JAZZER_FUZZ} it replays the inputs in {@code NvmeOffloadFuzzTestInputs/<method>/} (seeds from
 * {@link NvmeOffloadFuzzSeeds}). The build runs it in its own surefire execution with {@code JAZZER_FUZZ=1} (property
 * {@code xts.fuzz}) for {@code maxDuration}, the generated corpus and any crash file under {@code target/jazzer}.
 */
class NvmeOffloadFuzzTest
{
    /** Name of the fuzz test method, which names its inputs directory. */
    static final String METHOD = "shouldNeverThrowNorLoopOnAnyControllerStream";

    private final NvmeOffloadFuzzTarget target = new NvmeOffloadFuzzTarget();

    @FuzzTest(maxDuration = "15s")
    void shouldNeverThrowNorLoopOnAnyControllerStream(final byte[] input)
    {
        target.exercise(input);
    }
}
