package io.xts.xsk;

import io.xts.bindings.libc.libc_h;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The messages of {@link XskException}: each names the failed call, the place, the errno's name and text, and a hint
 * on what to check, so that a failure on a new machine can be fixed from the message alone. Also the one native call
 * that fails predictably without privileges: looking up an interface that does not exist.
 */
class XskExceptionTest
{
    @ParameterizedTest(name = "{2}")
    @CsvSource(delimiter = '|', value = {
        "xsk_socket__create | 1   | EPERM      | Operation not permitted      | CAP_NET_ADMIN",
        "xsk_socket__create | 13  | EACCES     | Permission denied            | CAP_BPF",
        "xsk_socket__create | 16  | EBUSY      | Device or resource busy      | asynchronous",
        "xsk_umem__create   | 12  | ENOMEM     | Cannot allocate memory       | ulimit -l",
        "xsk_socket__create | 19  | ENODEV     | No such device               | network namespace",
        "xsk_socket__create | 6   | ENXIO      | No such device or address    | no such interface or queue",
        "xsk_umem__create   | 22  | EINVAL     | Invalid argument             | page aligned",
        "xsk_socket__create | 22  | EINVAL     | Invalid argument             | XDP_USE_SG",
        "xsk_socket__create | 95  | EOPNOTSUPP | Operation not supported      | copy mode",
        "xdp_program__attach | 2  | ENOENT     | No such file or directory    | ''",
        "xsk_socket__create | 11  | EAGAIN     | Resource temporarily unavailable | ''",
        "xsk_socket__create | 100 | ENETDOWN   | Network is down              | ''",
        "xsk_socket__create | 105 | ENOBUFS    | No buffer space available    | ''"})
    void shouldNameTheCallThePlaceTheErrnoAndAHint(
        final String call, final int errno, final String name, final String text, final String hint)
    {
        final XskException ex = new XskException(call, "veth0 queue 3", -errno);
        final String message = ex.getMessage();
        assertTrue(message.startsWith(call + " failed on veth0 queue 3: "), message);
        assertTrue(message.contains(name + " (" + text + ")"), message);
        assertTrue(message.contains(hint), "hint '" + hint + "' in: " + message);
        assertEquals(call, ex.call());
        assertEquals(errno, ex.errno(), "errno is normalised to positive");
        assertEquals(message, new XskException(call, "veth0 queue 3", errno).getMessage(), "either sign, same text");
    }

    @Test
    void shouldMentionCapabilitiesForEperm()
    {
        final String message = new XskException("xsk_socket__create", "veth0 queue 0", -libc_h.EPERM).getMessage();
        assertTrue(message.contains("EPERM"), message);
        assertTrue(message.contains("CAP_NET_ADMIN") && message.contains("CAP_NET_RAW"), message);
        assertTrue(message.contains("root"), message);
    }

    @Test
    void shouldMentionAsynchronousTeardownForEbusy()
    {
        final String message = new XskException("xsk_socket__create", "veth0 queue 0", libc_h.EBUSY).getMessage();
        assertTrue(message.contains("EBUSY (Device or resource busy)"), message);
        assertTrue(message.contains("teardown is asynchronous"), message);
        assertTrue(message.contains("retry"), message);
    }

    @Test
    void shouldDescribeAnErrnoItHasNoNameFor()
    {
        final XskException ex = new XskException("poll", "veth0 queue 0", 200);
        assertTrue(ex.getMessage().contains("errno 200 ("), ex.getMessage());
        assertTrue(ex.getMessage().endsWith(")"), "no hint for an unknown errno: " + ex.getMessage());
        assertEquals(200, ex.errno());
    }

    @Test
    void shouldCarryAMessageWhenThereIsNoErrno()
    {
        final XskException ex = new XskException("bpf_object__find_map_fd_by_name", "xts_steer.o", "no map xsks_map");
        assertEquals("bpf_object__find_map_fd_by_name failed on xts_steer.o: no map xsks_map", ex.getMessage());
        assertEquals(0, ex.errno());
        assertEquals("bpf_object__find_map_fd_by_name", ex.call());
    }

    @Test
    void shouldNameIfNametoindexAndTheInterfaceWhenTheInterfaceDoesNotExist()
    {
        final XskException ex = assertThrows(XskException.class, () -> XdpProgram.interfaceIndex("nonexistent0"));
        final String message = ex.getMessage();
        assertEquals("if_nametoindex", ex.call());
        assertTrue(message.startsWith("if_nametoindex failed on nonexistent0: "), message);
        assertEquals(libc_h.ENODEV, ex.errno(), message);
        assertTrue(message.contains("ENODEV (No such device)"), message);
        assertTrue(message.contains("network namespace"), message);
    }

    @Test
    void shouldFindTheLoopbackInterface()
    {
        assertTrue(XdpProgram.interfaceIndex("lo") > 0, "every network namespace has lo");
    }
}
