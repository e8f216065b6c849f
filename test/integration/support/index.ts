// Helpers for the integration tier: real PostgreSQL and pgBackRest on loopback and
// unix sockets, configured with the files our renderers produce.
export * from "./cluster";
export * from "./config";
export * from "./install";
export * from "./proc";
export * from "./drill";
