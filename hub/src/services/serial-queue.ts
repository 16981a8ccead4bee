/**
 * Runs jobs one at a time in the order given, so that the changes a service makes to the same
 * order never interleave; a failed job does not stop the ones after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once everything queued so far is done, including jobs queued meanwhile. */
  async idle(): Promise<void> {
    for (;;) {
      const current = this.tail;
      await current;
      if (current === this.tail) return;
    }
  }
}
