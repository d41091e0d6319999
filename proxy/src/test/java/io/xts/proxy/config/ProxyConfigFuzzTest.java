package io.xts.proxy.config;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing, with Jazzer, of the proxy's configuration parser through {@link ProxyConfigFuzzTarget}:
 * any text either parses into a validated configuration or is refused with an {@link IllegalArgumentException} naming
 * what is wrong; anything else is a finding.
 * <p>
 * Without {@code JAZZER_FUZZ} it replays the inputs in {@code ProxyConfigFuzzTestInputs/<method>/}. The build runs it
 * in its own surefire execution with {@code JAZZER_FUZZ=1} (property {@code xts.fuzz}) for {@code maxDuration}, the
 * generated corpus and any crash file under {@code target/jazzer}.
 */
class ProxyConfigFuzzTest
{
    /** Name of the fuzz test method, which names its inputs directory. */
    static final String METHOD = "shouldParseOrRefuseWithAReason";

    private final ProxyConfigFuzzTarget target = new ProxyConfigFuzzTarget();

    @FuzzTest(maxDuration = "15s")
    void shouldParseOrRefuseWithAReason(final byte[] input)
    {
        target.exercise(input);
    }
}
