"""What the services publish to each other and to the gateway: event schemas with their
versions and upcasters, stream names, and the RPC commands each service accepts.

A service imports `yinfa` and `contracts` only, never another service."""
