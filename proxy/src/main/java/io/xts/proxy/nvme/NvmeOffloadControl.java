package io.xts.proxy.nvme;

import io.xts.nvme.NvmeTcp;
import io.xts.protocol.DdpSetupFlyweight;
import io.xts.protocol.DdpTeardownFlyweight;
import io.xts.protocol.ResyncFlyweight;
import io.xts.protocol.UlpMessages;
import io.xts.protocol.UlpPushFlyweight;
import io.xts.protocol.UlpResultFlyweight;
import io.xts.proxy.ProxyCounters;
import io.xts.proxy.ProxyEvents;
import io.xts.proxy.config.ProxyConfig;

import java.lang.foreign.MemorySegment;

import static io.xts.protocol.SocketMessages.EINVAL;
import static io.xts.protocol.SocketMessages.EOPNOTSUPP;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_SETUP;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_TEARDOWN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_RESPONSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_RESULT;

/**
 * The NVMe/TCP offload's control on one link (docs/PROTOCOL.md "NVMe/TCP offload messages"): the app's ULP_PUSH,
 * accepted (an {@link NvmeQueueOffload} on the connection, ULP_RESULT in sync or searching) or refused with its reason
 * (ULP_RESULT EOPNOTSUPP for configuration, limits and mode, EINVAL for the body or the socket's state), DDP_SETUP and
 * DDP_TEARDOWN (registrations, a refusal answered with DDP_TEARDOWN REFUSED), RESYNC_RESPONSE, and the count of
 * offloaded queues the link holds against its limit. The link session finds the socket a message names and hands it
 * over with the message's body; answers are claimed before anything is done, so a message the link cannot answer now
 * is refused (false: the link re-delivers it) with no side effect to repeat. Single-threaded, as the session.
 */
public final class NvmeOffloadControl
{
    /** How the session answers a message with ERROR (counted by errno). */
    @FunctionalInterface
    public interface ErrorReply
    {
        /**
         * @param id    the socket id.
         * @param errno the errno.
         * @param type  the message type answered.
         * @param text  what was wrong.
         * @return false when the link has no room now.
         */
        boolean send(int id, int errno, int type, String text);
    }

    private final OffloadPort port;
    private final ProxyCounters counters;
    private final ProxyConfig.NvmeOffload config;
    private final ProxyEvents events;
    private final ErrorReply errors;
    private final UlpPushFlyweight push = new UlpPushFlyweight();
    private final UlpResultFlyweight ulpResult = new UlpResultFlyweight();
    private final DdpSetupFlyweight ddpSetup = new DdpSetupFlyweight();
    private final DdpTeardownFlyweight ddpTeardown = new DdpTeardownFlyweight();
    private final ResyncFlyweight resyncMessage = new ResyncFlyweight();
    /** Whether ULP_PUSH can be accepted: only in the one-thread mode, where the offload writes into link frames. */
    private boolean supported;
    /** Offloaded sockets (NVMe/TCP queues) the link holds. */
    private int queues;

    /**
     * @param port   where answers are claimed, and the counters.
     * @param config the offload settings.
     * @param events where refusals are reported.
     * @param errors how the session answers with ERROR.
     */
    public NvmeOffloadControl(
        final OffloadPort port, final ProxyConfig.NvmeOffload config, final ProxyEvents events, final ErrorReply errors)
    {
        this.port = port;
        this.counters = port.counters();
        this.config = config;
        this.events = events;
        this.errors = errors;
    }

    /**
     * @param supported whether ULP_PUSH can be accepted (the one-thread mode: the offload writes into the link's
     *                  frames); false refuses every push with EOPNOTSUPP.
     */
    public void supported(final boolean supported)
    {
        this.supported = supported;
    }

    /** @return offloaded sockets the link holds. */
    public int queues()
    {
        return queues;
    }

    /** An offloaded socket ended (its offload released). */
    public void offloadEnded()
    {
        if (queues > 0)
        {
            queues--;
        }
        ProxyCounters.increment(counters.nvmeQueueTeardown);
    }

    /** The link's sockets are all gone (link down, new epoch, shutdown): no queue is held any more. */
    public void clear()
    {
        queues = 0;
    }

    /**
     * ULP_PUSH: hand the NVMe/TCP framing of an established socket to the proxy, or refuse (the socket carries on as a
     * plain one and the app does everything in software). Answered with ULP_RESULT, claimed before anything is done.
     *
     * @param id     the socket id.
     * @param socket the connection it names, or null for a listener.
     * @param memory the memory the body is in.
     * @param offset the body's first byte.
     * @param length the body's bytes.
     * @return false when the link has no room for the answer now.
     */
    public boolean onUlpPush(
        final int id, final OffloadSocket socket, final MemorySegment memory, final long offset, final int length)
    {
        if (null != socket && socket.dead())
        {
            // Its RESET is on its way; that is the answer.
            return true;
        }
        final long body = port.claim(TYPE_NVME_ULP_RESULT, id, UlpMessages.RESULT_LENGTH);
        if (body < 0)
        {
            return false;
        }
        final UlpResultFlyweight result = ulpResult.wrap(port.memory(), body, UlpMessages.RESULT_LENGTH);
        push.wrap(memory, offset, length);
        final String why = refusePush(id, socket);
        if (null != why)
        {
            final int errno = why.startsWith("EOPNOTSUPP") ? EOPNOTSUPP : EINVAL;
            result.write(errno, UlpMessages.RESULT_IN_SYNC, 0);
            ProxyCounters.increment(counters.nvmeUlpRefused);
            events.event("ulp-refused id=" + Integer.toUnsignedString(id) + " errno=" + errno + " why=" + why);
            return true;
        }
        final PushedQueue queue = PushedQueue.of(push);
        final long forwarded = socket.bytesFromPeer();
        final boolean inSync = forwarded == queue.c2hConsumed();
        final NvmeQueueOffload offload;
        try
        {
            offload = new NvmeQueueOffload(port, id, queue, config, forwarded);
        }
        catch (final RuntimeException ex)
        {
            // No memory for the staging buffer: refuse rather than fail the socket.
            result.write(EOPNOTSUPP, UlpMessages.RESULT_IN_SYNC, 0);
            ProxyCounters.increment(counters.nvmeUlpRefused);
            events.event("ulp-refused id=" + Integer.toUnsignedString(id) + " errno=" + EOPNOTSUPP + " why=" + ex);
            return true;
        }
        result.write(0, inSync ? UlpMessages.RESULT_IN_SYNC : UlpMessages.RESULT_SEARCHING, forwarded);
        queues++;
        ProxyCounters.increment(counters.nvmeQueueInit);
        socket.offload(offload);
        return true;
    }

    /**
     * @return null when the push can be accepted, else why not, starting with "EOPNOTSUPP" when that is the errno
     *         (configuration, limits, mode), EINVAL otherwise (the body or the socket's state).
     */
    private String refusePush(final int id, final OffloadSocket socket)
    {
        if (!push.isComplete())
        {
            return "ULP_PUSH body of " + push.length() + " bytes, expected " + UlpMessages.PUSH_LENGTH;
        }
        if (!config.enabled())
        {
            return "EOPNOTSUPP: NVMe/TCP offload is disabled by the configuration";
        }
        if (!supported)
        {
            return "EOPNOTSUPP: NVMe/TCP offload is not supported with --threads 2";
        }
        if (UlpMessages.ULP_NVME_TCP != push.ulp())
        {
            return "EOPNOTSUPP: ULP " + push.ulp() + " (only 1, NVMe/TCP)";
        }
        if (null == socket)
        {
            return "socket " + Integer.toUnsignedString(id) + " is a listener";
        }
        if (!socket.established())
        {
            return "socket " + Integer.toUnsignedString(id) + " is " + socket.stateName() + ", not established";
        }
        if (null != socket.offload())
        {
            return "the ULP was pushed already";
        }
        if (0 != (push.flags() & ~(UlpMessages.PUSH_FLAG_HDGST | UlpMessages.PUSH_FLAG_DDGST)))
        {
            return "flags " + push.flags() + " has reserved bits";
        }
        if (push.cpda() > NvmeTcp.MAX_PDA || push.hpda() > NvmeTcp.MAX_PDA)
        {
            return "CPDA " + push.cpda() + " or HPDA " + push.hpda() + " above " + NvmeTcp.MAX_PDA;
        }
        if (push.maxH2cData() < NvmeTcp.MIN_MAXH2CDATA)
        {
            return "MAXH2CDATA " + push.maxH2cData() + " below " + NvmeTcp.MIN_MAXH2CDATA;
        }
        if (0 == push.qsize())
        {
            return "queue size 0";
        }
        if (push.h2cSent() != socket.bytesFromApp())
        {
            return "h2cSent " + push.h2cSent() + " but the proxy received " + socket.bytesFromApp() +
                " bytes from the app on this socket";
        }
        if (push.c2hConsumed() < 0 || push.c2hConsumed() > socket.bytesFromPeer())
        {
            return "c2hConsumed " + push.c2hConsumed() + " but the proxy forwarded only " + socket.bytesFromPeer() +
                " bytes";
        }
        if (queues >= config.maxQueuesPerLink())
        {
            return "EOPNOTSUPP: the link holds " + queues + " offloaded queues already (nvmeOffload.maxQueuesPerLink)";
        }
        return null;
    }

    /**
     * DDP_SETUP: register a command's buffer for placement, or refuse with DDP_TEARDOWN REFUSED.
     *
     * @param id     the socket id.
     * @param socket the connection it names, or null for a listener.
     * @param memory the memory the body is in.
     * @param offset the body's first byte.
     * @param length the body's bytes.
     * @return false when the link has no room for the answer now.
     */
    public boolean onDdpSetup(
        final int id, final OffloadSocket socket, final MemorySegment memory, final long offset, final int length)
    {
        ddpSetup.wrap(memory, offset, length);
        if (!ddpSetup.isComplete())
        {
            return errors.send(id, EINVAL, TYPE_NVME_DDP_SETUP, "DDP_SETUP body of " + length + " bytes, expected " +
                UlpMessages.SETUP_LENGTH);
        }
        final int cid = ddpSetup.cid();
        if (null != socket && socket.dead())
        {
            return true;
        }
        final NvmeQueueOffload offload = null == socket ? null : socket.offload();
        // While the offload searches nothing is placed yet, but a registration holds for when placement starts.
        if (null != offload && null == offload.setup(cid, ddpSetup.bufferLength()))
        {
            ProxyCounters.increment(counters.nvmeDdpSetup);
            return true;
        }
        final long body = port.claim(TYPE_NVME_DDP_TEARDOWN, id, UlpMessages.TEARDOWN_LENGTH);
        if (body < 0)
        {
            return false;
        }
        ddpTeardown.wrap(port.memory(), body, UlpMessages.TEARDOWN_LENGTH).write(cid, UlpMessages.TEARDOWN_REFUSED);
        ProxyCounters.increment(counters.nvmeDdpSetupFail);
        return true;
    }

    /**
     * DDP_TEARDOWN from the app: the registration ends (nothing is answered).
     *
     * @param id     the socket id.
     * @param socket the connection it names, or null for a listener.
     * @param memory the memory the body is in.
     * @param offset the body's first byte.
     * @param length the body's bytes.
     * @return false when the link has no room for an ERROR now.
     */
    public boolean onDdpTeardown(
        final int id, final OffloadSocket socket, final MemorySegment memory, final long offset, final int length)
    {
        ddpTeardown.wrap(memory, offset, length);
        if (!ddpTeardown.isComplete())
        {
            return errors.send(id, EINVAL, TYPE_NVME_DDP_TEARDOWN, "DDP_TEARDOWN body of " + length +
                " bytes, expected " + UlpMessages.TEARDOWN_LENGTH);
        }
        if (null != socket && null != socket.offload())
        {
            socket.offload().teardown(ddpTeardown.cid());
        }
        return true;
    }

    /**
     * RESYNC_RESPONSE: the app's answer about a candidate header.
     *
     * @param id     the socket id.
     * @param socket the connection it names, or null for a listener.
     * @param memory the memory the body is in.
     * @param offset the body's first byte.
     * @param length the body's bytes.
     * @return false when the link has no room for an ERROR now.
     */
    public boolean onResyncResponse(
        final int id, final OffloadSocket socket, final MemorySegment memory, final long offset, final int length)
    {
        resyncMessage.wrap(memory, offset, length);
        if (!resyncMessage.isResponse())
        {
            return errors.send(id, EINVAL, TYPE_NVME_RESYNC_RESPONSE, "RESYNC_RESPONSE body of " + length +
                " bytes, expected " + UlpMessages.RESYNC_RESPONSE_LENGTH);
        }
        if (null != socket)
        {
            socket.onResyncResponse(resyncMessage.streamOffset(), resyncMessage.confirmed());
        }
        else
        {
            ProxyCounters.increment(counters.nvmeResyncIgnored);
        }
        return true;
    }
}
