// The hybrid logical clock every edit is stamped with (README, "Sync protocol"): the wall
// clock, unless it stands still or runs behind the newest time seen, then a counter.
// Written like `2026-11-29T08:20:37.808Z-0001`.
export class Hlc {
  constructor(
    private ms = 0,
    private counter = 0,
  ) {}

  static parse(text: string): Hlc {
    const dash = text.lastIndexOf("-");
    const ms = Date.parse(text.slice(0, dash));
    const counter = Number.parseInt(text.slice(dash + 1), 16);
    if (dash < 0 || Number.isNaN(ms) || Number.isNaN(counter)) throw new Error(`not an HLC: ${text}`);
    return new Hlc(ms, counter);
  }

  compare(other: Hlc): number {
    return this.ms - other.ms || this.counter - other.counter;
  }

  /** The stamp for a new edit. */
  tick(now = Date.now()): string {
    if (now > this.ms) [this.ms, this.counter] = [now, 0];
    else if (this.counter < 0xffff) this.counter += 1;
    else [this.ms, this.counter] = [this.ms + 1, 0];
    return this.toString();
  }

  /** After every push or pull: last = max(last, server_time). */
  observe(serverTime: string): void {
    const server = Hlc.parse(serverTime);
    if (server.compare(this) > 0) [this.ms, this.counter] = [server.ms, server.counter];
  }

  toString(): string {
    return `${new Date(this.ms).toISOString()}-${this.counter.toString(16).padStart(4, "0")}`;
  }
}
