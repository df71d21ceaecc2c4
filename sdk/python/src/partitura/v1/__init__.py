"""Generated messages and gRPC stubs of the partitura.v1 contract (scripts/gen-python.sh)."""
