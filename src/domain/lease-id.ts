import { invalid } from "./errors.ts";
import type { LeaseRef } from "./model.ts";
import { checkName } from "./names.ts";

/*
 * A lease id is opaque to clients but self-describing to any replica, so an ack may reach a
 * replica other than the one that delivered: `partition.version.incarnation.taskLength.` then
 * the task name and the instance name. The length prefix makes any name safe without escaping,
 * and building it is one string concatenation on the hot path.
 */

/** Encodes a lease reference as the `lease_id` sent to workers. */
export function encodeLeaseId(lease: LeaseRef): string {
  return `${lease.partition}.${lease.version}.${lease.incarnation}.${lease.task.length}.${lease.task}${lease.name}`;
}

/** Decodes a `lease_id`; throws INVALID_ARGUMENT naming `field` when it is not one of ours. */
export function decodeLeaseId(id: string, field = "lease_id"): LeaseRef {
  let start = 0;
  const numbers: number[] = [];
  for (let i = 0; i < 4; i++) {
    const dot = id.indexOf(".", start);
    if (dot < 0) throw invalid(field, "is not a lease id issued by Partitura");
    numbers.push(canonicalNumber(field, id.slice(start, dot)));
    start = dot + 1;
  }
  const [partition, version, incarnation, taskLength] = numbers as [number, number, number, number];
  const task = id.slice(start, start + taskLength);
  const name = id.slice(start + taskLength);
  if (task.length !== taskLength || name.length === 0) {
    throw invalid(field, "is not a lease id issued by Partitura");
  }
  // Names inside must be names the server could have issued: this bounds what a forged id
  // can make the engine look up.
  try {
    checkName(field, task);
    checkName(field, name);
  } catch {
    throw invalid(field, "is not a lease id issued by Partitura");
  }
  return { task, partition, name, version, incarnation };
}

/*
 * The numbers are read only in the one spelling encodeLeaseId writes: decimal digits, no sign,
 * no leading zero (except 0 itself), no exponent or space, within a safe integer. Number()
 * alone read "00", "+0", " 0" and "0x0" as 0, so one lease had many ids.
 */
const CANONICAL = /^(?:0|[1-9][0-9]{0,15})$/;

function canonicalNumber(field: string, text: string): number {
  const n = CANONICAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw invalid(field, "is not a lease id issued by Partitura");
  return n;
}
