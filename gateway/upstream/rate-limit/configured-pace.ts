/** A connector file's per-second rate in one process: one pace (pace.ts) per connection, or one for the connector. */
import { Pace } from './pace';

/** A pace a call keeps, and in words the file's limit it stands for (none: learnt from the upstream). */
export interface Paced {
  pace: Pace;
  describe?: string;
}

export class ConfiguredPace {
  private readonly byKey = new Map<string, Pace>();

  constructor(
    private readonly perSecond: number,
    private readonly describe: string,
  ) {}

  for(key: string): Paced {
    let pace = this.byKey.get(key);
    if (pace === undefined) {
      if (this.byKey.size >= 10_000) this.sweep();
      pace = new Pace(this.perSecond);
      this.byKey.set(key, pace);
    }
    return { pace, describe: this.describe };
  }

  /** Paces with nothing queued forget nothing by going: a new one may send at once, as they could. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, pace] of this.byKey) if (pace.backlogMs(now) === 0) this.byKey.delete(key);
  }
}
