import * as grpc from "@grpc/grpc-js";
import { SchedulerService } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { refusal } from "../server/auth/interceptor.ts";
import { type Access, accessByPath, ROLES, type Role } from "../server/auth/roles.ts";
import type { TokenTable } from "../server/auth/tokens.ts";

/*
 * Who is looking, decided by the gRPC API's own rules: the same token table, and the same role
 * check (refusal) with the access of the RPC a console action stands for. Reading a page needs
 * what ListTasks needs; enabling or disabling a task is a PutTask and needs what it needs;
 * pausing and resuming instances need what PauseInstances and ResumeInstances need, requeueing
 * and discarding dead letters what RequeueDeadLetters and DiscardDeadLetters need, triggering
 * and backfilling what TriggerInstances and BackfillInstances need. With
 * no tokens configured the API asks for none, and neither does the console (which then binds
 * to loopback only, see listen-policy.ts).
 */

/** A console action and the RPC whose access it borrows. */
export type Action =
  | "read"
  | "change-task"
  | "pause"
  | "resume"
  | "requeue"
  | "discard"
  | "trigger"
  | "backfill";

const RPC: Record<Action, string> = {
  read: `/${SchedulerService.typeName}/${SchedulerService.method.listTasks.name}`,
  "change-task": `/${SchedulerService.typeName}/${SchedulerService.method.putTask.name}`,
  pause: `/${SchedulerService.typeName}/${SchedulerService.method.pauseInstances.name}`,
  resume: `/${SchedulerService.typeName}/${SchedulerService.method.resumeInstances.name}`,
  requeue: `/${SchedulerService.typeName}/${SchedulerService.method.requeueDeadLetters.name}`,
  discard: `/${SchedulerService.typeName}/${SchedulerService.method.discardDeadLetters.name}`,
  trigger: `/${SchedulerService.typeName}/${SchedulerService.method.triggerInstances.name}`,
  backfill: `/${SchedulerService.typeName}/${SchedulerService.method.backfillInstances.name}`,
};

/** What a request may do, from its token (or from the absence of a tokens file). */
export interface Viewer {
  /** The token entry's name, or "anonymous" without tokens. */
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  /** True when the console asks for tokens at all. */
  readonly authenticated: boolean;
}

/** The answer of a check: allowed, or why not (401: log in; 403: the role is missing). */
export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

/** Decides for the console, with the API's tables. */
export class ViewerCheck {
  readonly #access: ReadonlyMap<string, Access>;

  constructor(private readonly tokens: TokenTable | undefined) {
    this.#access = accessByPath();
  }

  /** True when tokens are configured (a login is needed). */
  get required(): boolean {
    return this.tokens !== undefined;
  }

  /** The viewer a token (from the cookie) stands for; undefined when it is no accepted token. */
  viewer(token: string | undefined): Viewer | undefined {
    if (this.tokens === undefined) return { name: "anonymous", roles: new Set(ROLES), authenticated: false };
    if (token === undefined) return undefined;
    const identity = this.tokens.identify(token);
    return identity === undefined ? undefined : { ...identity, authenticated: true };
  }

  /** Whether `token` may do `action`, by the RPC's access and the interceptor's rule. */
  check(token: string | undefined, action: Action): Verdict {
    if (this.tokens === undefined) return { ok: true };
    const path = RPC[action];
    const refused = refusal(
      this.#access.get(path),
      token === undefined ? [] : [`Bearer ${token}`],
      this.tokens,
      path,
    );
    if (refused === undefined) return { ok: true };
    return {
      ok: false,
      status: refused.code === grpc.status.PERMISSION_DENIED ? 403 : 401,
      reason: refused.details,
    };
  }
}
