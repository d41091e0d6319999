/**
 * The counters file: a memory-mapped file of Agrona counters that every XTS process publishes under a well-known
 * directory, so that xts stat can read a running proxy or application without talking to it.
 */
package io.xts.status;
