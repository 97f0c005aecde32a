import type { Clock } from "@holdfast/shared";

/** Time that moves only when a test moves it. Its timers never fire: the code under test here polls nothing. */
export class TestClock implements Clock {
  constructor(public t: number = Date.now()) {}
  now = () => new Date(this.t);
  setTimeout = () => () => {};
  advance(ms: number): void {
    this.t += ms;
  }
}
