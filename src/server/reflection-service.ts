import { create, type DescFile, type DescMessage, toBinary } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import {
  type ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionResponseSchema,
} from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { toError } from "../domain/errors.ts";
import type { ServiceHandlers } from "./bind.ts";

/*
 * gRPC server reflection (v1alpha, which grpcurl and Postman fall back to), answered from the
 * descriptors protobuf-es embeds in the generated code: no .proto files are read at run time.
 * A file is sent with every file it imports, transitively, so a client can build every type.
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
      call.on("data", (request: ServerReflectionRequest) => {
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

function answer(index: DescriptorIndex, request: ServerReflectionRequest) {
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
      return files(index.byFile.get(message.value), `file ${message.value}`);
    case "fileContainingSymbol":
      return files(index.bySymbol.get(message.value), `symbol ${message.value}`);
    case "allExtensionNumbersOfType":
      // No served file defines extensions: a known type has none, an unknown one is not found.
      if (!index.bySymbol.has(message.value)) return files(undefined, `type ${message.value}`);
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
