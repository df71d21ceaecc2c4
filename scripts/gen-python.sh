#!/usr/bin/env bash
# Builds the Python client stubs from proto/ with a stock protoc and grpc_python_plugin, the
# way any user in another language would: proof that the contract needs nothing but the files.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in protoc grpc_python_plugin; do
  command -v "$tool" >/dev/null || {
    echo "gen-python: $tool is missing; install it with: apt-get install protobuf-compiler protobuf-compiler-grpc libprotobuf-dev" >&2
    exit 1
  }
done
rm -rf gen/python
mkdir -p gen/python
protoc -I proto -I /usr/include \
  --python_out=gen/python \
  --grpc_out=gen/python --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  proto/partitura/v1/*.proto
