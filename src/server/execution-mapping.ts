import { LeaseStatus as LeaseStatusPb } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { LeaseStatus } from "../domain/model.ts";

const statusPb: Record<LeaseStatus, LeaseStatusPb> = {
  ok: LeaseStatusPb.OK,
  lease_lost: LeaseStatusPb.LEASE_LOST,
  not_found: LeaseStatusPb.NOT_FOUND,
};

/** The wire form of a lease status. */
export function toLeaseStatus(status: LeaseStatus): LeaseStatusPb {
  return statusPb[status];
}
