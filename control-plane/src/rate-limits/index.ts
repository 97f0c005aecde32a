export { type BucketDecision, type BucketLimit, retryAfterSeconds, takeFromBucket } from "./token-bucket.js";
export { pruneRateLimits, type RateLimitContext, takeToken } from "./take-token.js";
