/**
 * Plain Java programs that import nothing of XTS-J: a JDK HttpServer file server, a Netty file server and an
 * HttpClient fetch. {@code xts run -- java -cp ... Main} carries their TCP through the proxy unchanged.
 */
package io.xts.examples.unmodified;
