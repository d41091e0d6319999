package io.xts.tools.nvme;

import io.xts.tools.Xts;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code xts nvme-target} options: sizes with suffixes, defaults, validation, and a --help that names every option.
 */
class NvmeTargetCommandTest
{
    private static TargetConfig parse(final String... args) throws Exception
    {
        final NvmeTarget command = new NvmeTarget();
        new CommandLine(command).parseArgs(args);
        return command.config();
    }

    @Test
    void shouldParseSizesWithSuffixes()
    {
        assertEquals(512, Sizes.parse("512"));
        assertEquals(128 << 10, Sizes.parse("128K"));
        assertEquals(128 << 10, Sizes.parse("128KiB"));
        assertEquals(64L << 20, Sizes.parse("64m"));
        assertEquals(1L << 30, Sizes.parse("1G"));
        assertEquals(2L << 40, Sizes.parse("2T"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("12X"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-1"));
        assertEquals("1G", Sizes.format(1L << 30));
        assertEquals("1536K", Sizes.format(1536 << 10));
        assertEquals("100", Sizes.format(100));
    }

    @Test
    void shouldApplyDefaults() throws Exception
    {
        final TargetConfig c = parse("--listen", "127.0.0.1:4420", "--backend", "null", "--size", "1G");
        assertEquals(4420, c.listen().getPort());
        assertEquals(Backend.Kind.NULL, c.backend());
        assertEquals(1L << 30, c.size());
        assertEquals(TargetConfig.DEFAULT_NQN, c.nqn());
        assertEquals("nqn.2026-11.io.xts:target", c.nqn());
        assertEquals(128 << 10, c.maxC2hData());
        assertEquals(128 << 10, c.maxH2cData());
        assertEquals(0, c.r2tSize());
        assertEquals(8 << 10, c.inCapsule());
        assertEquals(TargetConfig.Fault.NONE, c.fault());
        assertEquals(1, c.faultEvery());
    }

    @Test
    void shouldParseEveryOption() throws Exception
    {
        final TargetConfig c = parse("--listen", "0.0.0.0:0", "--backend", "ram", "--size", "64M", "--nqn", "nqn.x:y",
            "--max-c2h-data", "16K", "--max-h2c-data", "64K", "--r2t-size", "32K", "--in-capsule", "16K",
            "--success-flag", "--fault", "data-digest", "--fault-every", "3");
        assertEquals(Backend.Kind.RAM, c.backend());
        assertEquals("nqn.x:y", c.nqn());
        assertEquals(16 << 10, c.maxC2hData());
        assertEquals(64 << 10, c.maxH2cData());
        assertEquals(32 << 10, c.r2tSize());
        assertEquals(16 << 10, c.inCapsule());
        assertTrue(c.successFlag());
        assertEquals(TargetConfig.Fault.DATA_DIGEST, c.fault());
        assertEquals(3, c.faultEvery());
        assertEquals(TargetConfig.Fault.HEADER, parse("--listen", ":1", "--backend", "null", "--size", "1M", "--fault",
            "header").fault());
    }

    @Test
    void shouldRefuseBadValues()
    {
        assertThrows(IllegalArgumentException.class, () -> parse("--listen", "127.0.0.1", "--backend", "null",
            "--size", "1G"));
        assertThrows(IllegalArgumentException.class, () -> parse("--listen", "127.0.0.1:1", "--backend", "disk",
            "--size", "1G"));
        assertThrows(IllegalArgumentException.class, () -> parse("--listen", "127.0.0.1:1", "--backend", "null",
            "--size", "1000"));
        assertThrows(IllegalArgumentException.class, () -> parse("--listen", "127.0.0.1:1", "--backend", "null",
            "--size", "1G", "--max-h2c-data", "1K"));
        assertThrows(IllegalArgumentException.class, () -> parse("--listen", "127.0.0.1:1", "--backend", "null",
            "--size", "1G", "--in-capsule", "100"));
        assertThrows(IllegalArgumentException.class, () -> parse("--listen", "127.0.0.1:1", "--backend", "null",
            "--size", "1G", "--fault", "everything"));
        assertThrows(IllegalArgumentException.class, () -> parse("--listen", "127.0.0.1:1", "--backend", "null",
            "--size", "1G", "--fault-every", "0"));
    }

    @Test
    void shouldExplainEveryOptionInHelp()
    {
        final StringWriter text = new StringWriter();
        final CommandLine xts = new CommandLine(new Xts());
        xts.setOut(new PrintWriter(text));
        assertEquals(0, xts.execute("nvme-target", "--help"));
        final String help = text.toString();
        for (final String option : new String[] {"--listen", "--backend", "--size", "--nqn", "--max-c2h-data",
            "--max-h2c-data", "--r2t-size", "--in-capsule", "--success-flag", "--fault", "--fault-every"})
        {
            assertTrue(help.contains(option), option + " in " + help);
        }
        assertTrue(help.contains("nqn.2026-11.io.xts:target"), help);
        assertTrue(help.contains("SIGTERM"), help);
    }
}
