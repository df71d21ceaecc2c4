import { randomInt } from "node:crypto";

/**
 * A fresh incarnation for an instance created (or re-created) under a name, so a lease of the
 * instance that was there before can never act on the new one. Random in [1, 2^48): 48 bits
 * stay exact in a double (a JS number, a Lua number in Redis), and incarnations are only ever
 * compared under one instance name, where a repeat of 48 random bits is vanishingly unlikely.
 */
export function newIncarnation(): number {
  return randomInt(1, 2 ** 48);
}
