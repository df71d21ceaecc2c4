import { type Timestamp, timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { SlotDstMark } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { clientOf, type OutputFormat } from "./context.ts";
import { print } from "./print.ts";

/** What `partitura next --task` asks PreviewSchedule for. */
export interface InstancePreview {
  readonly task: string;
  /** Empty: a static task's own instance. */
  readonly instance: string;
  readonly partitionKey: string;
  /** Epoch ms; undefined: from the instance's next_run_at. */
  readonly from: number | undefined;
  readonly count: number;
}

const MARKS: Readonly<Record<SlotDstMark, string>> = {
  [SlotDstMark.UNSPECIFIED]: "",
  [SlotDstMark.MOVED]: "moved",
  [SlotDstMark.MERGED]: "merged",
  [SlotDstMark.REPEATED]: "repeated",
};

const iso = (at: Timestamp | undefined) => (at === undefined ? "" : timestampDate(at).toISOString());

/** `partitura next --task T [--instance NAME]`: the stored instance's slots, from the server. */
export async function previewInstance(
  flags: Record<string, unknown>,
  request: InstancePreview,
  format: OutputFormat,
): Promise<void> {
  await using client = clientOf(flags);
  const reply = await client.previewSchedule({
    task: request.task,
    instance: request.instance,
    partitionKey: request.partitionKey,
    count: request.count,
    ...(request.from === undefined ? {} : { from: timestampFromMs(request.from) }),
  });
  const records = reply.slots.map((slot) => ({
    at: iso(slot.at),
    ...(slot.deliverAt === undefined ? {} : { deliverAt: iso(slot.deliverAt) }),
    ...(slot.dst === SlotDstMark.UNSPECIFIED ? {} : { dst: MARKS[slot.dst] }),
    ...(slot.localTime === "" ? {} : { localTime: slot.localTime }),
  }));
  print(format, records, () =>
    reply.slots.map((slot) => ({
      at: iso(slot.at),
      local: slot.localTime.replace("T", " "),
      deliver_at: iso(slot.deliverAt),
      dst: MARKS[slot.dst] ?? "",
    })),
  );
}
