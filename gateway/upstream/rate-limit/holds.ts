/**
 * Pauses the upstream asked for (a Retry-After, a used-up window), by hold key: a
 * connection, or the part of it a dialect names (a Slack method, a GitHub resource).
 * Kept across a reload of the connector's limits: the upstream's word outlives them.
 */

export interface Hold {
  until: number;
  /** Why, in words: what the upstream said. */
  why: string;
}

/** Expired holds are swept once there are more than this many. */
const SWEEP_FROM = 10_000;

export class Holds {
  private readonly byKey = new Map<string, Hold>();

  /** Keeps the later of the current hold and this one. */
  set(holdKey: string, hold: Hold): void {
    const current = this.byKey.get(holdKey);
    if (current === undefined || current.until < hold.until) this.byKey.set(holdKey, hold);
    if (this.byKey.size > SWEEP_FROM) {
      const now = Date.now();
      for (const [k, v] of this.byKey) if (v.until <= now) this.byKey.delete(k);
    }
  }

  /** The latest hold still running on any of these keys. */
  heldUntil(holdKeys: readonly string[], now: number): Hold | undefined {
    let latest: Hold | undefined;
    for (const holdKey of holdKeys) {
      const hold = this.byKey.get(holdKey);
      if (hold === undefined) continue;
      if (hold.until <= now) this.byKey.delete(holdKey);
      else if (latest === undefined || hold.until > latest.until) latest = hold;
    }
    return latest;
  }
}
