/**
 * Examples of the socket API, each a small program: nc (both ways), echo-server, http-server and http-get, with the
 * common stack options (interface, queue).
 */
package io.xts.examples.net;
