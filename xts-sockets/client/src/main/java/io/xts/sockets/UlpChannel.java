package io.xts.sockets;

import io.xts.protocol.DdpPlaceFlyweight;
import io.xts.protocol.DdpSetupFlyweight;
import io.xts.protocol.DdpTeardownFlyweight;
import io.xts.protocol.PduHeaderMessageFlyweight;
import io.xts.protocol.ResyncFlyweight;
import io.xts.protocol.UlpMessages;
import io.xts.protocol.UlpPushFlyweight;
import io.xts.protocol.UlpResultFlyweight;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_PLACE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_SETUP;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_DDP_TEARDOWN;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_PDU_HEADER;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_REQUEST;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_RESYNC_RESPONSE;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_PUSH;
import static io.xts.protocol.XtsFrameDescriptor.TYPE_NVME_ULP_RESULT;

/**
 * The NVMe/TCP offload messaging of one {@link XtsSocket} (docs/PROTOCOL.md "NVMe/TCP offload messages"): sends
 * ULP_PUSH, DDP_SETUP, DDP_TEARDOWN and RESYNC_RESPONSE for the socket through the stack's link, and turns the ULP
 * messages the proxy sends for it (ULP_RESULT, PDU_HEADER, DDP_PLACE, DDP_TEARDOWN, RESYNC_REQUEST) into calls on
 * its {@link UlpListener}. The socket's public ULP methods delegate here; state is guarded by the stack lock, and
 * the message flyweights are made on first use (control path), then reused.
 */
final class UlpChannel
{
    private final XtsSocket socket;
    private final XtsStack stack;
    private final ReentrantLock lock;

    private UlpListener listener;
    private UlpPushFlyweight ulpPush;
    private UlpResultFlyweight ulpResult;
    private DdpSetupFlyweight ddpSetup;
    private DdpTeardownFlyweight ddpTeardown;
    private DdpPlaceFlyweight ddpPlace;
    private PduHeaderMessageFlyweight pduHeader;
    private ResyncFlyweight resync;

    UlpChannel(final XtsSocket socket, final XtsStack stack)
    {
        this.socket = socket;
        this.stack = stack;
        this.lock = stack.lock;
    }

    /**
     * Set who receives the socket's ULP messages.
     *
     * @param listener the listener, or null.
     */
    void listener(final UlpListener listener)
    {
        lock.lock();
        try
        {
            this.listener = listener;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * DATA arrived for the socket (lock held): tell the listener, if any.
     */
    void onDataArrived()
    {
        if (null != listener)
        {
            listener.onDataArrived();
        }
    }

    /**
     * The socket failed or closed (lock held): tell the listener, if any.
     */
    void onSocketFailed()
    {
        if (null != listener)
        {
            listener.onSocketFailed();
        }
    }

    /**
     * Send ULP_PUSH. See {@link XtsSocket#sendUlpPush}.
     */
    void sendUlpPush(
        final boolean headerDigest, final boolean dataDigest, final int cpda, final int hpda, final long maxH2cData,
        final long c2hConsumed, final long h2cSent, final int qid, final int qsize) throws IOException
    {
        lock.lock();
        try
        {
            final long body = claim(TYPE_NVME_ULP_PUSH, UlpMessages.PUSH_LENGTH);
            if (null == ulpPush)
            {
                ulpPush = new UlpPushFlyweight();
            }
            ulpPush.wrap(stack.linkMemory(), body, UlpMessages.PUSH_LENGTH)
                .write(headerDigest, dataDigest, cpda, hpda, maxH2cData, c2hConsumed, h2cSent, qid, qsize);
            stack.afterSend();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Send DDP_SETUP. See {@link XtsSocket#sendDdpSetup}.
     */
    void sendDdpSetup(final int cid, final long bufferLength) throws IOException
    {
        lock.lock();
        try
        {
            final long body = claim(TYPE_NVME_DDP_SETUP, UlpMessages.SETUP_LENGTH);
            if (null == ddpSetup)
            {
                ddpSetup = new DdpSetupFlyweight();
            }
            ddpSetup.wrap(stack.linkMemory(), body, UlpMessages.SETUP_LENGTH).write(cid, bufferLength);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Send DDP_TEARDOWN. See {@link XtsSocket#sendDdpTeardown}.
     */
    void sendDdpTeardown(final int cid, final int reason) throws IOException
    {
        lock.lock();
        try
        {
            final long body = claim(TYPE_NVME_DDP_TEARDOWN, UlpMessages.TEARDOWN_LENGTH);
            if (null == ddpTeardown)
            {
                ddpTeardown = new DdpTeardownFlyweight();
            }
            ddpTeardown.wrap(stack.linkMemory(), body, UlpMessages.TEARDOWN_LENGTH).write(cid, reason);
            stack.afterSend();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Send RESYNC_RESPONSE. See {@link XtsSocket#sendResyncResponse}.
     */
    void sendResyncResponse(final long streamOffset, final boolean confirmed) throws IOException
    {
        lock.lock();
        try
        {
            final long body = claim(TYPE_NVME_RESYNC_RESPONSE, UlpMessages.RESYNC_RESPONSE_LENGTH);
            if (null == resync)
            {
                resync = new ResyncFlyweight();
            }
            resync.wrap(stack.linkMemory(), body, UlpMessages.RESYNC_RESPONSE_LENGTH)
                .writeResponse(streamOffset, confirmed);
            stack.afterSend();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Claim a ULP message for the socket, waiting while the link is full (lock held).
     *
     * @return the body's offset in the link memory.
     */
    private long claim(final int type, final int length) throws IOException
    {
        boolean waited = false;
        while (true)
        {
            socket.checkWritable(waited);
            final long body = stack.claimUlp(type, socket.idLocked(), length);
            if (body >= 0)
            {
                return body;
            }
            stack.awaitOnce(stack.linkProgress, XtsStack.NO_DEADLINE);
            waited = true;
        }
    }

    /**
     * A ULP message from the proxy (lock held).
     *
     * @return false when it was malformed or unexpected (counted by the caller).
     */
    boolean onUlp(final int type, final MemorySegment memory, final long offset, final int length)
    {
        final UlpListener listener = this.listener;
        if (!socket.isConnectedLocked())
        {
            return true;
        }
        if (null == listener)
        {
            return false;
        }
        switch (type)
        {
            case TYPE_NVME_DDP_PLACE ->
            {
                if (null == ddpPlace)
                {
                    ddpPlace = new DdpPlaceFlyweight();
                }
                ddpPlace.wrap(memory, offset, length);
                if (!ddpPlace.isComplete())
                {
                    return false;
                }
                listener.onPlace(ddpPlace.cid(), ddpPlace.flags(), ddpPlace.dataOffset(), memory,
                    ddpPlace.bytesOffset(), ddpPlace.bytesLength());
            }
            case TYPE_NVME_PDU_HEADER ->
            {
                if (null == pduHeader)
                {
                    pduHeader = new PduHeaderMessageFlyweight();
                }
                pduHeader.wrap(memory, offset, length);
                if (!pduHeader.isComplete())
                {
                    return false;
                }
                listener.onPduHeader(pduHeader.status(), memory, pduHeader.pduOffset(), pduHeader.pduLength());
            }
            case TYPE_NVME_ULP_RESULT ->
            {
                if (null == ulpResult)
                {
                    ulpResult = new UlpResultFlyweight();
                }
                ulpResult.wrap(memory, offset, length);
                if (!ulpResult.isComplete())
                {
                    return false;
                }
                listener.onUlpResult(ulpResult.errno(), ulpResult.state(), ulpResult.streamOffset());
            }
            case TYPE_NVME_DDP_TEARDOWN ->
            {
                if (null == ddpTeardown)
                {
                    ddpTeardown = new DdpTeardownFlyweight();
                }
                ddpTeardown.wrap(memory, offset, length);
                if (!ddpTeardown.isComplete())
                {
                    return false;
                }
                listener.onDdpTeardown(ddpTeardown.cid(), ddpTeardown.reason());
            }
            case TYPE_NVME_RESYNC_REQUEST ->
            {
                if (null == resync)
                {
                    resync = new ResyncFlyweight();
                }
                resync.wrap(memory, offset, length);
                if (!resync.isComplete())
                {
                    return false;
                }
                listener.onResyncRequest(resync.streamOffset());
            }
            default ->
            {
                return false;
            }
        }
        return true;
    }
}
