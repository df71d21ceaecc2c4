import {
  create,
  type DescFile,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import {
  ServerReflection as ServerReflectionV1,
  ServerReflectionRequestSchema as V1RequestSchema,
  ServerReflectionResponseSchema as V1ResponseSchema,
} from "../../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { clip, quote, toError } from "../domain/errors.ts";
import { MAX_REFLECTION_NAME_LENGTH, MAX_REFLECTION_REQUESTS } from "../domain/limits.ts";
import type { ServiceHandlers } from "./bind.ts";

/*
 * gRPC server reflection, v1 (what grpcurl and current tools ask for first) and v1alpha (what
 * older ones ask for), answered from the descriptors protobuf-es embeds in the generated code:
 * no .proto files are read at run time. Both versions are served together and each lists both.
 * Their messages are the same field for field under two package names, so v1 is answered by
 * the v1alpha code, its requests and answers crossing over as bytes.
 *
 * Not @grpc/reflection: it indexes proto-loader package definitions (a protobufjs copy of every
 * descriptor) and binds itself to grpc-js directly, past these request bounds and our logging.
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

/** The reflection services, listed by either version (both are served together). */
const REFLECTION_SERVICES: readonly GenService<GenServiceMethods>[] = [ServerReflectionV1, ServerReflection];

function indexOf(services: readonly GenService<GenServiceMethods>[]): DescriptorIndex {
  const all = [...services, ...REFLECTION_SERVICES.filter((r) => !services.includes(r))];
  return new DescriptorIndex(
    all.map((s) => s.typeName),
    all.map((s) => s.file),
  );
}

/**
 * Serves one reflection stream; `read` and `write` carry its messages to and from v1alpha's
 * (identities for v1alpha itself).
 */
function serve<Req, Res>(
  call: grpc.ServerDuplexStream<Req, Res>,
  convert: {
    read: (request: Req) => ServerReflectionRequest;
    write: (answer: ServerReflectionResponse) => Res;
  },
  index: DescriptorIndex,
  logger: Logger,
): void {
  let requests = 0;
  call.on("data", (raw: Req) => {
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
      call.write(convert.write(answer(index, convert.read(raw))));
    } catch (thrown) {
      logger.error({ err: toError(thrown) }, "reflection request failed");
      call.destroy(toError(thrown));
    }
  });
  call.on("end", () => call.end());
  call.on("error", (err) => logger.debug({ err }, "reflection stream ended with an error"));
}

/**
 * The grpc.reflection.v1alpha handlers for `services` (both reflection services are listed
 * too; `reflectionService` is kept for callers that name it).
 */
export function reflectionHandlers(
  services: readonly GenService<GenServiceMethods>[],
  reflectionService: GenService<GenServiceMethods>,
  logger: Logger,
): ServiceHandlers<typeof ServerReflection.method> {
  const index = indexOf([...services, reflectionService]);
  const same = { read: (r: ServerReflectionRequest) => r, write: (a: ServerReflectionResponse) => a };
  return {
    serverReflectionInfo(call) {
      serve(call, same, index, logger);
    },
  };
}

/** The grpc.reflection.v1 handlers for `services`: the v1alpha answers, in v1's messages. */
export function reflectionV1Handlers(
  services: readonly GenService<GenServiceMethods>[],
  logger: Logger,
): ServiceHandlers<typeof ServerReflectionV1.method> {
  const index = indexOf(services);
  const crossing = {
    read: (request: MessageShape<typeof V1RequestSchema>) =>
      fromBinary(ServerReflectionRequestSchema, toBinary(V1RequestSchema, request)),
    write: (response: ServerReflectionResponse) =>
      fromBinary(V1ResponseSchema, toBinary(ServerReflectionResponseSchema, response)),
  };
  return {
    serverReflectionInfo(call) {
      serve(call, crossing, index, logger);
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
