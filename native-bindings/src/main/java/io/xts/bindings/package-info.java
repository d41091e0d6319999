/**
 * Foreign Function and Memory bindings to the native libraries the AF_XDP driver needs, in the layout jextract
 * produces: one subpackage per header set, and the NativeLibrary loader that finds the shared objects and the
 * default lookup. Nothing here has behaviour of its own; the driver in io.xts.xsk is the only user.
 */
package io.xts.bindings;
