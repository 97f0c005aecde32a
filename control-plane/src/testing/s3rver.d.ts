// The part of s3rver (which ships no types) that the test server uses.
declare module "s3rver" {
  import type { Server } from "node:http";
  export default class S3rver {
    constructor(options: {
      address?: string;
      port?: number;
      silent?: boolean;
      directory?: string;
      configureBuckets?: { name: string }[];
      allowMismatchedSignatures?: boolean;
    });
    run(): Promise<{ port: number }>;
    /** Koa's middleware list, composed when `run()` starts serving. */
    middleware: ((ctx: { method: string; query: Record<string, unknown>; get(header: string): string }, next: () => Promise<void>) => Promise<void>)[];
    close(): Promise<void>;
    httpServer: Server;
  }
}
