/**
 * Downcalls into libbpf (finding a map's file descriptor in a loaded object, map lookups, updates and deletes, error
 * strings) as jextract lays them out.
 */
package io.xts.bindings.libbpf;
