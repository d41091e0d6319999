package io.xts.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The configuration file: the documented example parses to what it says, defaults fill what is left out, and every
 * invalid file is refused with a message naming the field and the value.
 */
class ProxyConfigTest
{
    private static final String EXAMPLE = """
        {"allow": {"connect": [{"cidr": "198.18.1.0/24", "ports": "1-65535"}],
                   "listen": {"ports": "1024-65535", "addresses": ["0.0.0.0/0", "::/0"]}},
         "limits": {"socketsPerLink": 1000, "listenersPerLink": 60, "bytesInFlightPerLink": 268435456,
                    "sendWindow": 131072, "connectTimeoutMs": 5000},
         "nvmeOffload": {"enabled": true, "maxQueuesPerLink": 16, "maxRegistrationsPerQueue": 128,
                         "maxRegistrationLength": 1048576}}
        """;

    private static InetSocketAddress at(final String ip, final int port) throws UnknownHostException
    {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void theDocumentedExampleParses(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("proxy.json");
        Files.writeString(file, EXAMPLE);
        final ProxyConfig config = ProxyConfig.load(file);
        assertEquals(new ProxyConfig.Limits(1000, 60, 268435456L, 131072, 5000), config.limits());
        assertEquals(new ProxyConfig.NvmeOffload(true, 16, 128, 1048576), config.nvmeOffload());
        assertTrue(config.allow().allowsConnect(at("198.18.1.7", 80)));
        assertFalse(config.allow().allowsConnect(at("198.18.2.7", 80)), "outside the /24");
        assertTrue(config.allow().allowsListen(at("0.0.0.0", 8080)), "wildcard inside 0.0.0.0/0");
        assertTrue(config.allow().allowsListen(at("::", 8080)), "IPv6 wildcard inside ::/0");
        assertFalse(config.allow().allowsListen(at("0.0.0.0", 80)), "privileged port outside 1024-65535");
        assertTrue(config.allow().allowsListen(at("0.0.0.0", 0)), "port 0 lets the kernel pick");
    }

    @Test
    void defaultsConnectOnlyToTheTestRangesAndListenOnAnyLocalAddress() throws Exception
    {
        final ProxyConfig config = ProxyConfig.defaults();
        assertTrue(config.allow().allowsConnect(at("198.19.255.255", 1)), "198.18.0.0/15 holds 198.19.x");
        assertTrue(config.allow().allowsConnect(at("fd12::1", 443)));
        assertFalse(config.allow().allowsConnect(at("198.20.0.1", 443)));
        assertFalse(config.allow().allowsConnect(at("127.0.0.1", 443)));
        assertFalse(config.allow().allowsConnect(at("fe80::1", 443)));
        assertTrue(config.allow().allowsListen(at("0.0.0.0", 8080)), "the wildcard: the proxy's own addresses");
        assertTrue(config.allow().allowsListen(at("::", 8080)), "the IPv6 wildcard");
        assertTrue(config.allow().allowsListen(at("198.18.0.1", 8080)));
        assertFalse(config.allow().allowsListen(at("0.0.0.0", 80)), "ports below 1024 are not allowed by default");
        assertEquals(ProxyConfig.Limits.defaults(), config.limits());
        assertEquals(1024, config.limits().socketsPerLink());
        assertEquals(64, config.limits().listenersPerLink());
        assertEquals(268435456L, config.limits().bytesInFlightPerLink());
        assertEquals(262144, config.limits().sendWindow());
        assertEquals(10000, config.limits().connectTimeoutMs());
        assertEquals(new ProxyConfig.NvmeOffload(true, 256, 1024, 16L << 20), config.nvmeOffload());
    }

    @Test
    void omittedSectionsTakeTheDefaultsAndAnEmptyListAllowsNothing() throws Exception
    {
        final ProxyConfig partial = ProxyConfig.parse("{\"limits\": {\"socketsPerLink\": 8}}");
        assertEquals(8, partial.limits().socketsPerLink());
        assertEquals(ProxyConfig.Limits.defaults().sendWindow(), partial.limits().sendWindow());
        assertTrue(partial.allow().allowsConnect(at("198.18.0.1", 80)), "default allow-list kept");
        final ProxyConfig closed = ProxyConfig.parse("{\"allow\": {\"connect\": []}}");
        assertFalse(closed.allow().allowsConnect(at("198.18.0.1", 80)), "explicitly empty: nothing");
        assertEquals(ProxyConfig.NvmeOffload.defaults(), closed.nvmeOffload());
        final ProxyConfig off = ProxyConfig.parse("{\"nvmeOffload\": {\"enabled\": false}}");
        assertFalse(off.nvmeOffload().enabled());
        assertEquals(256, off.nvmeOffload().maxQueuesPerLink(), "the other fields keep their defaults");
    }

    @ParameterizedTest(name = "{0}")
    // CHECKSTYLE.OFF: LineLength - a table of invalid files, one per row; its rows do not fit in 120 columns
    @CsvSource(delimiter = '|', textBlock = """
        prefix too long        | {"allow": {"connect": [{"cidr": "10.0.0.0/33"}]}}                 | allow.connect[0].cidr     | 10.0.0.0/33
        host bits set          | {"allow": {"connect": [{"cidr": "10.0.0.1/8"}]}}                  | allow.connect[0].cidr     | 10.0.0.1/8
        not an address         | {"allow": {"connect": [{"cidr": "example.com/8"}]}}               | allow.connect[0].cidr     | example.com/8
        IPv6 prefix too long   | {"allow": {"listen": {"addresses": ["::/129"]}}}                  | allow.listen.addresses[0] | ::/129
        port above 65535       | {"allow": {"listen": {"ports": "1024-70000"}}}                    | allow.listen.ports        | 70000
        reversed range         | {"allow": {"connect": [{"cidr": "10.0.0.0/8", "ports": "90-80"}]}} | allow.connect[0].ports    | 90-80
        missing cidr           | {"allow": {"connect": [{"ports": "80"}]}}                         | allow.connect[0].cidr     | missing
        unknown limit          | {"limits": {"socketsPerLnk": 5}}                                  | limits.socketsPerLnk      | unknown field
        unknown top level      | {"alow": {}}                                                      | alow                      | unknown field
        text for a number      | {"limits": {"socketsPerLink": "many"}}                            | limits.socketsPerLink     | many
        negative limit         | {"limits": {"listenersPerLink": -1}}                              | limits.listenersPerLink   | -1
        window too small       | {"limits": {"sendWindow": 100}}                                   | limits.sendWindow         | 100
        in flight below window | {"limits": {"bytesInFlightPerLink": 1024, "sendWindow": 4096}}     | limits.bytesInFlightPerLink | 1024
        number for a cidr      | {"allow": {"connect": [{"cidr": 10}]}}                            | allow.connect[0].cidr     | 10
        nvme not a boolean     | {"nvmeOffload": {"enabled": "yes"}}                               | nvmeOffload.enabled       | yes
        nvme zero queues       | {"nvmeOffload": {"maxQueuesPerLink": 0}}                          | nvmeOffload.maxQueuesPerLink | 0
        nvme too many regs     | {"nvmeOffload": {"maxRegistrationsPerQueue": 70000}}              | nvmeOffload.maxRegistrationsPerQueue | 70000
        nvme length too large  | {"nvmeOffload": {"maxRegistrationLength": 8589934592}}            | nvmeOffload.maxRegistrationLength | 8589934592
        nvme length not number | {"nvmeOffload": {"maxRegistrationLength": 1.5}}                   | nvmeOffload.maxRegistrationLength | 1.5
        nvme unknown field     | {"nvmeOffload": {"maxQueues": 1}}                                 | nvmeOffload.maxQueues     | unknown field
        nvme not an object     | {"nvmeOffload": true}                                             | nvmeOffload               | true
        """)
    // CHECKSTYLE.ON: LineLength
    void invalidFilesNameTheFieldAndTheValue(
        final String what, final String json, final String field, final String value)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ProxyConfig.parse(json),
            what);
        assertTrue(ex.getMessage().contains(field), what + ": '" + ex.getMessage() + "' names " + field);
        assertTrue(ex.getMessage().contains(value), what + ": '" + ex.getMessage() + "' shows " + value);
    }

    @Test
    void brokenJsonAndMissingFilesAreReportedWithWhere(@TempDir final Path dir) throws Exception
    {
        final IllegalArgumentException json = assertThrows(IllegalArgumentException.class,
            () -> ProxyConfig.parse("{\"limits\": {\"sendWindow\": 4096,}}"));
        assertTrue(json.getMessage().contains("line 1"), json.getMessage());
        final Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"limits\": {\"connectTimeoutMs\": 0}}");
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ProxyConfig.load(file));
        assertTrue(bad.getMessage().startsWith(file.toString()), "names the file: " + bad.getMessage());
        assertTrue(bad.getMessage().contains("limits.connectTimeoutMs"), bad.getMessage());
        final Path missing = dir.resolve("missing.json");
        final IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
            () -> ProxyConfig.load(missing));
        assertTrue(none.getMessage().contains(missing.toString()), none.getMessage());
    }

    @Test
    void cidrsMatchBitExactlyWithinTheirFamily() throws Exception
    {
        final Cidr v4 = Cidr.parse("198.18.0.0/15");
        assertTrue(v4.contains(InetAddress.getByName("198.19.1.1")));
        assertFalse(v4.contains(InetAddress.getByName("198.20.0.0")));
        assertFalse(v4.contains(InetAddress.getByName("::ffff:0:0")), "never across families");
        final Cidr v6 = Cidr.parse("fd00::/8");
        assertTrue(v6.contains(InetAddress.getByName("fdff:ffff::1")));
        assertFalse(v6.contains(InetAddress.getByName("fe00::1")));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.9")));
        assertTrue(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.7")), "a bare address is /32");
        assertFalse(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.8")));
    }

    @Test
    void portRangesAcceptListsAndSinglePorts()
    {
        final PortRanges ports = PortRanges.parse("80, 443,8000-8099");
        assertTrue(ports.contains(80));
        assertTrue(ports.contains(443));
        assertTrue(ports.contains(8050));
        assertFalse(ports.contains(81));
        assertFalse(ports.contains(8100));
        assertThrows(IllegalArgumentException.class, () -> PortRanges.parse("0-10"), "port 0 is never a range end");
    }
}
