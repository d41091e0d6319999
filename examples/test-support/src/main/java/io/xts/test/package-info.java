/**
 * What the system tests share: the privilege gate (skip without root, fail under CI=true), the test network of
 * namespaces and veth pairs made by scripts/testnet, and child processes whose output a test waits on.
 */
package io.xts.test;
