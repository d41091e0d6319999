package io.xts.tools.link;

import io.xts.test.ChildProcess;
import io.xts.test.Privileged;
import io.xts.test.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * System test of the XTS link end to end: each end is a separate {@code xts link-stream} process on AF_XDP, the
 * receiver in the proxy namespace and the sender in the app namespace of one test network (veth MTU 3506), started
 * through {@code ip netns exec} with the JVM and class path of this test. The tests check what the link promises on
 * a real veth: a deliberately slow receiver holds the sender back by credits and nothing is dropped anywhere;
 * injected loss on both ends is repaired so that a gibibyte arrives complete and in order (same SHA-256 both sides);
 * and a sender killed with SIGKILL is reported dead within the dead-peer timeout, after which a restarted sender
 * relinks with a new epoch. Every child's standard output is collected line by line (so link events can be awaited),
 * its standard error goes to a file under target/link-system-test; children are always killed at the end. Needs
 * root; see {@link Privileged}.
 */
@Tag("privileged")
@Tag("long")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LinkSystemTest
{
    /** veth MTU: the largest at which native XDP (single buffer) attaches to a veth with 4 KiB pages. */
    private static final String MTU = "3506";
    private static final long GIBIBYTE = 1L << 30;
    private static final int MSG_SIZE = 3000;
    private static final Duration STARTUP = Duration.ofSeconds(30);
    /** Dead-peer timeout and heartbeat interval the link is configured with (LinkConfig.defaults()). */
    private static final long DEAD_TIMEOUT_MS = 500;
    private static final long HEARTBEAT_MS = 100;
    /** The link must report a dead peer within 1 s; 500 ms slack for the process kill and the output pipe. */
    private static final long DEAD_REPORT_LIMIT_MS = 1000 + 500;
    private static final Path LOGS = Path.of("target", "link-system-test");
    private static final AtomicInteger CHILDREN = new AtomicInteger();

    private static TestNetwork net;

    @BeforeAll
    static void createNetwork()
    {
        Privileged.require("the XTS link system test");
        net = TestNetwork.create("--mtu", MTU);
    }

    @AfterAll
    static void removeNetwork()
    {
        if (null != net)
        {
            net.close();
        }
    }

    /**
     * A process killed by a signal cannot detach its XDP program (it is attached through netlink, not a BPF link, so
     * it outlives the process). The next end replaces it; this cleanup keeps each test independent of the last.
     */
    @AfterEach
    void detachLeftoverPrograms()
    {
        if (null != net)
        {
            detachXdp("NS_APP", "IF_APP");
            detachXdp("NS_PRX", "IF_PRX");
        }
    }

    @Test
    void shouldLoseNothingUnderOverloadWithASlowReceiver() throws Exception
    {
        try (LinkEnd receiver = startEnd("slow-recv", "NS_PRX", "recv", "--iface", net.get("IF_PRX"), "--verify",
            // 10 us a message: well below what the sender can produce even while it hashes every byte, so credits,
            // not the sender's own speed, set the pace.
            "--slow-us", "10", "--idle-exit", "3"))
        {
            receiver.awaitLine(line -> line.contains(" start epoch="), STARTUP);
            try (LinkEnd sender = startEnd("slow-send", "NS_APP", "send", "--iface", net.get("IF_APP"),
                "--duration", "30", "--verify", "--msg-size", Integer.toString(MSG_SIZE)))
            {
                assertEquals(0, sender.awaitExit(Duration.ofSeconds(120)), sender.describe("sender exit status"));
                assertEquals(0, receiver.awaitExit(Duration.ofSeconds(60)),
                    receiver.describe("receiver exit status"));
                final Map<String, String> sent = sender.result();
                final Map<String, String> received = receiver.result();
                report("slow receiver", sent, received);

                assertAll("slow receiver",
                    () -> assertTrue(number(sent, "messages") > 0, "messages sent"),
                    () -> assertEquals(number(sent, "messages"), number(received, "messages"), "messages received"),
                    () -> assertEquals(0, number(received, "seq_errors"), "seq_errors"),
                    () -> assertEquals(sent.get("sha256"), received.get("sha256"), "SHA-256 of the stream"),
                    () -> assertEquals(0, number(sent, "rx_dropped"), "sender rx_dropped: " + sender.resultLine()),
                    () -> assertEquals(0, number(sent, "rx_ring_full"), "sender rx_ring_full"),
                    () -> assertEquals(0, number(received, "rx_dropped"),
                        "receiver rx_dropped: " + receiver.resultLine()),
                    () -> assertEquals(0, number(received, "rx_ring_full"), "receiver rx_ring_full"),
                    () -> assertTrue(number(sent, "credit_stalls") > 0,
                        "the slow receiver held the sender back by credits: " + sender.resultLine()));
            }
        }
    }

    @ParameterizedTest(name = "{0} ppm loss")
    @ValueSource(ints = {10_000, 50_000})
    void shouldDeliverAGibibyteCompleteAndInOrderWithInjectedLoss(final int lossPpm) throws Exception
    {
        final String loss = Integer.toString(lossPpm);
        try (LinkEnd receiver = startEnd("lossy-recv-" + loss, "NS_PRX", "recv", "--iface", net.get("IF_PRX"),
            "--verify", "--loss-ppm", loss, "--idle-exit", "3"))
        {
            receiver.awaitLine(line -> line.contains(" start epoch="), STARTUP);
            try (LinkEnd sender = startEnd("lossy-send-" + loss, "NS_APP", "send", "--iface", net.get("IF_APP"),
                "--verify", "--loss-ppm", loss, "--bytes", Long.toString(GIBIBYTE)))
            {
                assertEquals(0, sender.awaitExit(Duration.ofSeconds(240)), sender.describe("sender exit status"));
                assertEquals(0, receiver.awaitExit(Duration.ofSeconds(60)),
                    receiver.describe("receiver exit status"));
                final Map<String, String> sent = sender.result();
                final Map<String, String> received = receiver.result();
                report(lossPpm + " ppm loss", sent, received);

                final long expected = (GIBIBYTE + MSG_SIZE - 1) / MSG_SIZE;
                assertAll(lossPpm + " ppm loss",
                    () -> assertEquals(expected, number(sent, "messages"), "messages sent"),
                    () -> assertEquals(expected, number(received, "messages"), "messages received"),
                    () -> assertEquals(0, number(received, "seq_errors"), "seq_errors"),
                    () -> assertEquals(sent.get("sha256"), received.get("sha256"), "SHA-256 of the stream"),
                    () -> assertTrue(number(received, "lossy_dropped") > 0,
                        "the receiver's lossy program dropped frames: " + receiver.resultLine()),
                    () -> assertTrue(number(sent, "retransmits") > 0,
                        "the sender retransmitted: " + sender.resultLine()));
            }
        }
    }

    @Test
    void shouldReportADeadPeerAndRelinkWithANewEpochAfterKill9() throws Exception
    {
        try (LinkEnd receiver = startEnd("restart-recv", "NS_PRX", "recv", "--iface", net.get("IF_PRX"),
            "--forever", "--max-wait", "120"))
        {
            final String receiverEpoch = receiver.epoch();
            final String firstEpoch;
            final ChildProcess.Line down;
            final long killedAt;
            try (LinkEnd sender = startEnd("restart-send-1", "NS_APP", "send", "--iface", net.get("IF_APP"),
                "--duration", "60"))
            {
                firstEpoch = sender.epoch();
                sender.awaitLine(line -> line.contains(" up peer_epoch="), STARTUP);
                receiver.awaitLine(line -> line.contains(" up peer_epoch=" + firstEpoch + " "), STARTUP);
                // ip netns exec execs its command, so the child's pid is the JVM's and SIGKILL reaches it directly.
                final String command = sender.process.toHandle().info().command().orElse("?");
                assertTrue(command.endsWith("/java"), "the sender's pid runs java, not " + command);
                assertFalse(receiver.anyLine(line -> line.contains(" down reason=")),
                    receiver.describe("no down event before the kill"));

                killedAt = System.nanoTime();
                final int status = sender.kill();
                assertEquals(128 + 9, status, "the sender died of SIGKILL");
                assertFalse(ProcessHandle.of(sender.process.pid()).map(ProcessHandle::isAlive).orElse(false),
                    "the sender's JVM is gone");
                down = receiver.awaitLine(line -> line.contains(" down reason=peer dead"), Duration.ofSeconds(10));
            }
            final long downMs = (down.atNs() - killedAt) / 1_000_000;
            System.out.printf(Locale.ROOT, "dead peer reported %d ms after SIGKILL (timeout %d ms, limit %d ms): %s%n",
                downMs, DEAD_TIMEOUT_MS, DEAD_REPORT_LIMIT_MS, down.text());
            // The last frame left the sender at most a heartbeat before the kill.
            assertTrue(downMs >= DEAD_TIMEOUT_MS - HEARTBEAT_MS, "reported dead too early: " + downMs + " ms");
            assertTrue(downMs <= DEAD_REPORT_LIMIT_MS, "reported dead " + downMs + " ms after the kill");

            // The killed sender's XDP program is still attached; the new one replaces it (XdpProgram does that for
            // a stale program of ours).
            try (LinkEnd sender = startEnd("restart-send-2", "NS_APP", "send", "--iface", net.get("IF_APP"),
                "--duration", "2"))
            {
                final String secondEpoch = sender.epoch();
                assertNotEquals(firstEpoch, secondEpoch, "the restarted sender's epoch");
                final ChildProcess.Line up =
                    receiver.awaitLine(line -> line.contains(" up peer_epoch=" + secondEpoch + " "), STARTUP);
                System.out.printf(Locale.ROOT, "relinked: %s (old epoch %s)%n", up.text(), firstEpoch);
                sender.awaitLine(line -> line.contains(" up peer_epoch=" + receiverEpoch + " "), STARTUP);
                assertEquals(0, sender.awaitExit(Duration.ofSeconds(60)), sender.describe("second sender exit"));
                assertTrue(number(sender.result(), "messages") > 0, "the relinked sender delivered messages");
            }
            assertTrue(receiver.process.isAlive(), receiver.describe("the receiver outlived both senders"));
            receiver.process.destroy();
            assertTrue(receiver.process.waitFor(10, TimeUnit.SECONDS), "the receiver stops on SIGTERM");
        }
    }

    private static void report(final String what, final Map<String, String> sent, final Map<String, String> received)
    {
        System.out.printf(Locale.ROOT, "%s: %s messages in %s s (%s msgs/s, %s Gbit/s); sender retransmits=%s " +
            "rto_fired=%s credit_stalls=%s; receiver duplicates=%s gap_naks=%s lossy_dropped=%s; sender " +
            "lossy_dropped=%s%n", what, sent.get("messages"), sent.get("seconds"), sent.get("msgs_per_s"),
            sent.get("gbps"), sent.get("retransmits"), sent.get("rto_fired"), sent.get("credit_stalls"),
            received.get("duplicates"), received.get("gap_naks"), received.get("lossy_dropped"),
            sent.get("lossy_dropped"));
    }

    private static long number(final Map<String, String> result, final String key)
    {
        final String value = result.get(key);
        if (null == value)
        {
            fail("no " + key + " in the result " + result);
        }
        return Long.parseLong(value);
    }

    private static void detachXdp(final String namespace, final String iface)
    {
        net.exec(net.get(namespace), "ip", "link", "set", "dev", net.get(iface), "xdp", "off");
    }

    private static LinkEnd startEnd(final String name, final String namespace, final String... args)
        throws IOException
    {
        final List<String> command = new ArrayList<>(net.xtsCommand(namespace, "link-stream"));
        command.addAll(List.of(args));
        Files.createDirectories(LOGS);
        final int child = CHILDREN.incrementAndGet();
        // Counters files go next to the logs, not to /dev/shm: a killed child cannot remove its own.
        command.addAll(
            List.of("--counters", LOGS.resolve(child + "-" + name + ".counters").toAbsolutePath().toString()));
        return new LinkEnd(ChildProcess.start(child + "-" + name, LOGS, command));
    }

    /**
     * One {@code xts link-stream} child ({@link ChildProcess}: output lines to await, standard error in a file, killed
     * when closed) and what its lines say: its epoch and its result line.
     */
    private static final class LinkEnd implements AutoCloseable
    {
        private static final String RESULT = "link-stream role=";

        private final ChildProcess child;
        private final Process process;

        LinkEnd(final ChildProcess child)
        {
            this.child = child;
            this.process = child.process();
        }

        ChildProcess.Line awaitLine(final Predicate<String> match, final Duration timeout) throws InterruptedException
        {
            return child.awaitLine(match, timeout);
        }

        boolean anyLine(final Predicate<String> match)
        {
            return child.anyLine(match);
        }

        String epoch() throws InterruptedException
        {
            final String text = awaitLine(line -> line.contains(" start epoch="), STARTUP).text();
            return text.substring(text.indexOf(" start epoch=") + " start epoch=".length()).trim();
        }

        int awaitExit(final Duration timeout) throws InterruptedException
        {
            return child.awaitExit(timeout);
        }

        int kill() throws InterruptedException
        {
            return child.kill();
        }

        String resultLine()
        {
            for (final String line : child.lines())
            {
                if (line.startsWith(RESULT))
                {
                    return line;
                }
            }
            fail(describe("no result line"));
            return null;
        }

        Map<String, String> result()
        {
            final Map<String, String> fields = new HashMap<>();
            for (final String field : resultLine().split(" "))
            {
                final int eq = field.indexOf('=');
                if (eq > 0)
                {
                    fields.put(field.substring(0, eq), field.substring(eq + 1));
                }
            }
            return fields;
        }

        String describe(final String what)
        {
            return child.describe(what);
        }

        @Override
        public void close() throws InterruptedException
        {
            child.close();
        }
    }
}
