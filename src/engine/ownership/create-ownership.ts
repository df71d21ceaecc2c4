import type { Logger } from "pino";
import type { Clock } from "../../domain/clock.ts";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { OwnershipMode } from "../../domain/ownership-mode.ts";
import type { Store } from "../../store/store.ts";
import { MembershipOwnership } from "./membership-ownership.ts";
import type { AddressOf, Ownership } from "./ownership.ts";
import { StaticOwnership } from "./static-ownership.ts";

/** What createOwnership needs. */
export interface OwnershipDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly id: string;
  readonly address: AddressOf;
  readonly logger: Logger;
  readonly changed?: (members: number) => void;
}

/** The Ownership of a configured mode; membership on a store without member records is refused. */
export function createOwnership(mode: OwnershipMode, deps: OwnershipDeps): Ownership {
  const self = { id: deps.id, address: deps.address };
  switch (mode.mode) {
    case "all":
      return new StaticOwnership({ kind: "all" }, self);
    case "static-list":
      return new StaticOwnership({ kind: "list", partitions: new Set(mode.partitions) }, self);
    case "static-ordinal":
      return new StaticOwnership({ kind: "ordinal", replicas: mode.replicas, ordinal: mode.ordinal }, self);
    case "membership": {
      const { heartbeatMember, listMembers, removeMember } = deps.store;
      if (!heartbeatMember || !listMembers || !removeMember) {
        throw new PartituraError(
          ErrorCode.FailedPrecondition,
          `PARTITURA_MEMBERSHIP=store: the ${deps.store.kind} store keeps no member records`,
        );
      }
      const store = {
        heartbeatMember: heartbeatMember.bind(deps.store),
        listMembers: listMembers.bind(deps.store),
        removeMember: removeMember.bind(deps.store),
      };
      return new MembershipOwnership({ ...deps, store, timings: mode.timings });
    }
  }
}
