import { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** What ThrottlerGuard needs back from a storage (`ThrottlerStorageRecord`). */
export interface ThrottlerCount {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

interface Counter {
  windowStart: number;
  current: number;
  previous: number;
  blockedUntil: number;
  ttl: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * Rate-limit counters at a constant cost per request. @nestjs/throttler's default storage keeps one
 * expiry time per hit and filters that list on every request, so each request costs as much as the
 * hits of the last `ttl` (10% of a tenant read's CPU at 2,000 req/s from one client). Here each key
 * has a sliding-window counter: the hits of the current fixed window plus those of the previous one
 * weighted by how much of it the sliding window still covers. Same contract as the default: a hit past
 * `limit` blocks the key for `blockDuration` (every request refused meanwhile), after which it starts
 * from zero; without a block duration, hits at the limit are refused and not counted.
 */
export class SlidingWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly counters = new Map<string, Counter>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    // Idle keys go (a key is idle once two of its windows passed without a hit and it is not blocked).
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerCount> {
    const now = this.now();
    const id = `${throttlerName}\u0000${key}`;
    let c = this.counters.get(id);
    if (!c) {
      c = { windowStart: now, current: 0, previous: 0, blockedUntil: 0, ttl };
      this.counters.set(id, c);
    }
    const passed = Math.floor((now - c.windowStart) / ttl);
    if (passed > 0) {
      c.previous = passed === 1 ? c.current : 0;
      c.current = 0;
      c.windowStart += passed * ttl;
    }
    const timeToExpire = seconds(c.windowStart + ttl - now);
    if (c.blockedUntil > now) {
      return {
        totalHits: this.hits(c, now) + 1,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: seconds(c.blockedUntil - now),
      };
    }
    if (c.blockedUntil > 0) {
      // The block ran out: start again from zero, as the default storage does.
      c.blockedUntil = 0;
      c.current = 0;
      c.previous = 0;
    }
    if (blockDuration <= 0) {
      const isBlocked = this.hits(c, now) >= limit;
      if (!isBlocked) c.current += 1;
      return {
        totalHits: this.hits(c, now) + (isBlocked ? 1 : 0),
        timeToExpire,
        isBlocked,
        timeToBlockExpire: isBlocked ? timeToExpire : 0,
      };
    }
    c.current += 1;
    const totalHits = this.hits(c, now);
    if (totalHits > limit) c.blockedUntil = now + blockDuration;
    return {
      totalHits,
      timeToExpire,
      isBlocked: totalHits > limit,
      timeToBlockExpire: totalHits > limit ? seconds(blockDuration) : 0,
    };
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.counters.clear();
  }

  /** The sliding window's hits: the current window's plus the overlapping share of the previous one. */
  private hits(c: Counter, now: number): number {
    const overlap = (c.ttl - (now - c.windowStart)) / c.ttl;
    return c.current + Math.floor(c.previous * Math.max(0, overlap));
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, c] of this.counters)
      if (c.blockedUntil <= now && now - c.windowStart >= 2 * c.ttl) this.counters.delete(id);
  }
}
