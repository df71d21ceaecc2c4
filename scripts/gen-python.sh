#!/usr/bin/env bash
# Builds the Python stubs of the SDK package (sdk/python) from proto/ with a stock protoc and
# grpc_python_plugin, the way any user in another language would: proof that the contract needs
# nothing but the files. protoc writes partitura/v1/*_pb2.py with absolute `partitura.v1`
# imports, which resolve inside the package because the package itself is named `partitura`.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in protoc grpc_python_plugin; do
  command -v "$tool" >/dev/null || {
    echo "gen-python: $tool is missing; install it with: apt-get install protobuf-compiler protobuf-compiler-grpc libprotobuf-dev" >&2
    exit 1
  }
done
out=sdk/python/src
# Only generated files go; partitura/v1/__init__.py is hand-written and stays.
rm -f "$out"/partitura/v1/*_pb2.py "$out"/partitura/v1/*_pb2.pyi "$out"/partitura/v1/*_pb2_grpc.py
protoc -I proto -I /usr/include \
  --python_out="$out" --pyi_out="$out" \
  --grpc_out="$out" --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  proto/partitura/v1/*.proto
