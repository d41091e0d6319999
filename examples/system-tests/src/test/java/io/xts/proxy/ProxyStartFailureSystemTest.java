package io.xts.proxy;

import io.xts.test.ChildProcess;
import io.xts.test.Privileged;
import io.xts.test.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A proxy whose start fails after its AF_XDP endpoint is open gives back everything it took: the XDP program is
 * detached from the interface and the counters file removed. The failure is a real one: on a veth with an MTU of
 * 200 the link's frames (214 bytes) cannot hold the largest control message, so the link refuses to be made, after
 * the endpoint attached its program. The proxy runs as {@code xts proxy} under {@code ip netns exec} (so it reads the
 * namespace's MTU from its own /sys). Needs root; see {@link Privileged}.
 */
@Tag("privileged")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProxyStartFailureSystemTest
{
    private static final Path LOGS = Path.of("target", "proxy-start-failure-test").toAbsolutePath();
    private static TestNetwork net;

    @BeforeAll
    static void createNetwork()
    {
        Privileged.require("the proxy start failure test");
        net = TestNetwork.create();
        // Set here, not at creation: the test network's IPv6 addresses need an MTU of at least 1280.
        net.exec(net.get("NS_PRX"), "ip", "link", "set", "dev", net.get("IF_PRX"), "mtu", "200");
    }

    @AfterAll
    static void removeNetwork()
    {
        if (null != net)
        {
            net.close();
        }
    }

    @Test
    void aStartThatFailsAfterTheEndpointDetachesTheProgramAndRemovesTheCounters(@TempDir final Path dir)
        throws Exception
    {
        final Path counters = dir.resolve("proxy.counters");
        final int status;
        try (ChildProcess proxy = ChildProcess.start("proxy", LOGS, net.xtsCommand("NS_PRX", "proxy", "--iface",
            net.get("IF_PRX"), "--attach", "skb", "--counters", counters.toString())))
        {
            status = proxy.awaitExit(Duration.ofSeconds(60));
            assertTrue(proxy.anyLine(l -> l.contains("start-failed") && l.contains("room for a control message")),
                proxy.describe("the start failure named"));
        }
        assertNotEquals(0, status, "the start fails");
        // Before the fix both were left behind: the program attached, the counters file in place.
        final String link = net.exec(net.get("NS_PRX"), "ip", "link", "show", net.get("IF_PRX"));
        assertFalse(link.contains("xdp"), "program detached: " + link);
        assertFalse(Files.exists(counters), "counters file removed");
    }
}
