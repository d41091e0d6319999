package io.xts.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing, with Jazzer, of everything that reads a received frame: {@link FrameValidator},
 * {@link MessageReader} and the flyweight getters, through {@link FrameFuzzTarget}. The invariant is that nothing
 * throws and nothing reads outside the frame: each input is one frame in a segment of exactly its size, so a stray
 * read throws {@link IndexOutOfBoundsException}, which Jazzer reports as a finding; the target also checks the
 * verdicts against an independent reading of the header and re-encodes valid DATA frames.
 * <p>
 * Without {@code JAZZER_FUZZ} it replays the inputs in {@code FrameFuzzTestInputs/<method>/} (seeds from
 * {@link FrameFuzzSeeds}) as regression tests. The build runs it in its own surefire execution with
 * {@code JAZZER_FUZZ=1} (property {@code xts.fuzz}), so it fuzzes for {@code maxDuration}, seeded by those inputs,
 * with the generated corpus and any crash file under {@code target/jazzer}; copy a crash file into the inputs
 * directory to keep it as a regression input.
 */
class FrameFuzzTest
{
    /** Name of the fuzz test method, which names its inputs directory. */
    static final String METHOD = "shouldNeverThrowNorReadOutsideTheFrame";

    private final FrameFuzzTarget target = new FrameFuzzTarget();

    @FuzzTest(maxDuration = "20s")
    void shouldNeverThrowNorReadOutsideTheFrame(final byte[] input)
    {
        target.exercise(input);
    }
}
