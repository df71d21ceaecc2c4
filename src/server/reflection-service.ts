import { create, type DescFile, type DescMessage, toBinary } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import {
  type ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { clip, quote, toError } from "../domain/errors.ts";
import { MAX_REFLECTION_NAME_LENGTH, MAX_REFLECTION_REQUESTS } from "../domain/limits.ts";
import type { ServiceHandlers } from "./bind.ts";

/*
 * gRPC server reflection (v1alpha, which grpcurl and Postman fall back to), answered from the
 * descriptors protobuf-es embeds in the generated code: no .proto files are read at run time.
 * A file is sent with every file it imports, transitively, so a client can build every type.
 *
 * Requests are bounded: a reply echoes its request (host and name), so a name longer than any
 * symbol we serve is refused with INVALID_ARGUMENT before it is echoed (a 1 MB symbol got a
 * 2 MB reply), and one stream may ask at most MAX_REFLECTION_REQUESTS questions (a tool asks
 * a few dozen), then it is ended with RESOURCE_EXHAUSTED.
 */

/** Finds the files of the served services by file name or by fully qualified symbol. */
class DescriptorIndex {
  readonly byFile = new Map<string, DescFile>();
  readonly bySymbol = new Map<string, DescFile>();

  constructor(
    readonly serviceNames: readonly string[],
    files: readonly DescFile[],
  ) {
    for (const file of files) this.add(file);
  }

  private add(file: DescFile): void {
    const fileName = file.proto.name;
    if (this.byFile.has(fileName)) return;
    this.byFile.set(fileName, file);
    const addMessage = (message: DescMessage) => {
      this.bySymbol.set(message.typeName, file);
      for (const e of message.nestedEnums) this.bySymbol.set(e.typeName, file);
      for (const m of message.nestedMessages) addMessage(m);
    };
    file.messages.forEach(addMessage);
    for (const e of file.enums) this.bySymbol.set(e.typeName, file);
    for (const service of file.services) {
      this.bySymbol.set(service.typeName, file);
      for (const method of service.methods) this.bySymbol.set(`${service.typeName}.${method.name}`, file);
    }
    for (const dependency of file.dependencies) this.add(dependency);
  }

  /** The serialized FileDescriptorProtos of `file` and everything it imports, file first. */
  withDependencies(file: DescFile): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }
}

/** The ServerReflection handlers for `services` (the reflection service lists itself too). */
export function reflectionHandlers(
  services: readonly GenService<GenServiceMethods>[],
  reflectionService: GenService<GenServiceMethods>,
  logger: Logger,
): ServiceHandlers<typeof ServerReflection.method> {
  const all = [...services, reflectionService];
  const index = new DescriptorIndex(
    all.map((s) => s.typeName),
    all.map((s) => s.file),
  );
  return {
    serverReflectionInfo(call) {
      let requests = 0;
      call.on("data", (request: ServerReflectionRequest) => {
        requests += 1;
        if (requests > MAX_REFLECTION_REQUESTS) {
          if (requests === MAX_REFLECTION_REQUESTS + 1) {
            // An "error" event makes grpc-js send this status and end the stream.
            call.emit("error", {
              code: grpc.status.RESOURCE_EXHAUSTED,
              details: `a reflection stream may send at most ${MAX_REFLECTION_REQUESTS} requests; open another`,
            });
          }
          return;
        }
        try {
          call.write(answer(index, request));
        } catch (thrown) {
          logger.error({ err: toError(thrown) }, "reflection request failed");
          call.destroy(toError(thrown));
        }
      });
      call.on("end", () => call.end());
      call.on("error", (err) => logger.debug({ err }, "reflection stream ended with an error"));
    },
  };
}

/** The name a request asks about, or the empty string (list_services names nothing we read). */
function requestedName(request: ServerReflectionRequest): string {
  const message = request.messageRequest;
  switch (message.case) {
    case "fileByFilename":
    case "fileContainingSymbol":
    case "allExtensionNumbersOfType":
      return message.value;
    case "fileContainingExtension":
      return message.value.containingType;
    default:
      return "";
  }
}

/** An INVALID_ARGUMENT answer to an oversized request, echoing only a cut copy of it. */
function oversized(request: ServerReflectionRequest, field: string) {
  return create(ServerReflectionResponseSchema, {
    validHost: clip(request.host),
    originalRequest: create(ServerReflectionRequestSchema, { host: clip(request.host) }),
    messageResponse: {
      case: "errorResponse",
      value: {
        errorCode: grpc.status.INVALID_ARGUMENT,
        errorMessage: `${field}: must be at most ${MAX_REFLECTION_NAME_LENGTH} characters`,
      },
    },
  });
}

function answer(index: DescriptorIndex, request: ServerReflectionRequest) {
  if (request.host.length > MAX_REFLECTION_NAME_LENGTH) return oversized(request, "host");
  if (requestedName(request).length > MAX_REFLECTION_NAME_LENGTH) {
    return oversized(request, request.messageRequest.case ?? "message_request");
  }
  if (
    request.messageRequest.case === "listServices" &&
    request.messageRequest.value.length > MAX_REFLECTION_NAME_LENGTH
  ) {
    return oversized(request, "list_services");
  }
  const base = { validHost: request.host, originalRequest: request };
  const files = (file: DescFile | undefined, what: string) =>
    file === undefined
      ? create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: {
            case: "errorResponse",
            value: { errorCode: grpc.status.NOT_FOUND, errorMessage: `${what} not found` },
          },
        })
      : create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: {
            case: "fileDescriptorResponse",
            value: { fileDescriptorProto: index.withDependencies(file) },
          },
        });
  const message = request.messageRequest;
  switch (message.case) {
    case "listServices":
      return create(ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.serviceNames.map((name) => ({ name })) },
        },
      });
    case "fileByFilename":
      return files(index.byFile.get(message.value), `file ${quote(message.value)}`);
    case "fileContainingSymbol":
      return files(index.bySymbol.get(message.value), `symbol ${quote(message.value)}`);
    case "allExtensionNumbersOfType":
      // No served file defines extensions: a known type has none, an unknown one is not found.
      if (!index.bySymbol.has(message.value)) return files(undefined, `type ${quote(message.value)}`);
      return create(ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: message.value, extensionNumber: [] },
        },
      });
    default:
      return create(ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: "errorResponse",
          value: {
            errorCode: grpc.status.UNIMPLEMENTED,
            errorMessage: `${message.case ?? "empty request"} is not supported`,
          },
        },
      });
  }
}
