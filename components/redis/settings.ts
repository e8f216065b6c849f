import { z } from "zod";
import { binaryUnitBytes } from "../lib/quantity";
import { beyondShareOfLimit, computeResources, boundedCount, storage, strictSection } from "../lib/settings";

// The Redis queue's settings: maxmemory is checked against the memory limit.

const REDIS_MAXMEMORY_SHARE = 0.75;
/** Redis sizes: kb, mb and gb are powers of 1024. */
const redisBytes = (size: string) => binaryUnitBytes(size, ["kb", "mb", "gb"]);

export const redisSettings = strictSection({
  replicas: boundedCount("a replica count", 9).default(3),
  sentinel: strictSection({
    enabled: z.boolean().default(true).describe("Sentinel-managed failover between the replicas."),
  }).prefault({}),
  maxmemory: z
    .string()
    .regex(/^[1-9][0-9]*(kb|mb|gb)$/, { message: 'expected a Redis size such as "256mb" (units kb, mb, gb)' })
    .default("256mb"),
  maxmemoryPolicy: z
    .enum(["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"])
    .default("noeviction")
    .describe("The job queue must never lose jobs to eviction: noeviction."),
  storage: storage("8Gi"),
  resources: computeResources.prefault("medium"),
})
  .superRefine((r, ctx) => {
    // The container also holds the AOF rewrite's copy-on-write pages, client and
    // replication buffers: past this share of the limit, the kernel kills Redis before
    // maxmemory (noeviction) can refuse a write.
    const problem = beyondShareOfLimit({
      value: redisBytes(r.maxmemory),
      share: REDIS_MAXMEMORY_SHARE,
      limit: r.resources.limits.memory,
      why: "the rest is headroom for AOF rewrites and buffers",
      unit: "mb",
    });
    if (problem) ctx.addIssue({ code: "custom", path: ["maxmemory"], message: problem });
    if (r.sentinel.enabled && r.replicas < 3) {
      ctx.addIssue({ code: "custom", path: ["replicas"], message: "expected at least 3 when sentinel.enabled (a quorum of 2)" });
    }
  })
  .prefault({});

export type RedisSettings = z.output<typeof redisSettings>;

/** The images the queue runs unless the stack pins others. */
export const REDIS_DEFAULT_IMAGES = {
  redis: "docker.io/library/redis:7.4.2-alpine",
  redisExporter: "docker.io/oliver006/redis_exporter:v1.74.0",
} as const;
