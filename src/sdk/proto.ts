/* The generated messages and enums of the Partitura API (protobuf-es), for "partitura/proto". */
export * from "../../gen/ts/partitura/v1/execution_service_pb.ts";
export * from "../../gen/ts/partitura/v1/instance_pb.ts";
export * from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
export * from "../../gen/ts/partitura/v1/task_pb.ts";
