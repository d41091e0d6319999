package io.xts.examples.unmodified;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file server on Netty's NIO transport: GET /NAME sends DIR/NAME as a file region, with keep-alive. Nothing here
 * knows about XTS-J. Usage: {@code java io.xts.examples.unmodified.NettyFileServer PORT DIR}.
 */
public final class NettyFileServer
{
    private NettyFileServer()
    {
    }

    /**
     * @param args PORT DIR.
     * @throws InterruptedException when interrupted.
     */
    public static void main(final String[] args) throws InterruptedException
    {
        if (2 != args.length)
        {
            System.err.println("usage: NettyFileServer PORT DIR");
            System.exit(64);
        }
        final int port = Integer.parseInt(args[0]);
        final Path root = Path.of(args[1]).toAbsolutePath().normalize();
        final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try
        {
            final Channel server = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childHandler(new ChannelInitializer<SocketChannel>()
                {
                    @Override
                    protected void initChannel(final SocketChannel ch)
                    {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                            new FileHandler(root));
                    }
                })
                .bind(port).sync().channel();
            System.out.println("listening on " + server.localAddress());
            server.closeFuture().sync();
        }
        finally
        {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
    }

    /**
     * Answers each request with the file it names, or 404.
     */
    private static final class FileHandler extends SimpleChannelInboundHandler<FullHttpRequest>
    {
        private final Path root;

        FileHandler(final Path root)
        {
            this.root = root;
        }

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request) throws IOException
        {
            final boolean keepAlive = HttpUtil.isKeepAlive(request);
            final Path file = root.resolve(request.uri().substring(1)).normalize();
            if (!HttpMethod.GET.equals(request.method()) || !file.startsWith(root) || !Files.isRegularFile(file))
            {
                final DefaultFullHttpResponse notFound = new DefaultFullHttpResponse(request.protocolVersion(),
                    HttpResponseStatus.NOT_FOUND, Unpooled.copiedBuffer("not found\n", StandardCharsets.US_ASCII));
                HttpUtil.setContentLength(notFound, notFound.content().readableBytes());
                finish(ctx, ctx.writeAndFlush(notFound), keepAlive);
                return;
            }
            final RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
            final long length = raf.length();
            final HttpResponse response = new DefaultHttpResponse(request.protocolVersion(), HttpResponseStatus.OK);
            HttpUtil.setContentLength(response, length);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
            if (keepAlive)
            {
                HttpUtil.setKeepAlive(response, true);
            }
            ctx.write(response);
            ctx.write(new DefaultFileRegion(raf.getChannel(), 0, length));
            finish(ctx, ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
        }

        private static void finish(
            final ChannelHandlerContext ctx, final ChannelFuture future, final boolean keepAlive)
        {
            if (!keepAlive)
            {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            System.err.println("netty-file-server: " + ctx.channel() + ": " + cause);
            ctx.close();
        }
    }
}
