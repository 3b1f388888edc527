/**
 * An async iterable of lines fed by a producer: lines are kept in order until read, and the
 * iteration ends when the producer calls {@link LineQueue.end}. One reader at a time.
 */
export class LineQueue implements AsyncIterable<string> {
  private readonly buffer: string[] = [];
  private waiter: ((r: IteratorResult<string>) => void) | null = null;
  private ended = false;

  /** Adds a line; it reaches the reader in order. Ignored after {@link end}. */
  push(line: string): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: line, done: false });
    } else {
      this.buffer.push(line);
    }
  }

  /** Ends the iteration once the buffered lines have been read. */
  end(): void {
    this.ended = true;
    if (this.waiter && this.buffer.length === 0) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return {
      next: () => {
        const line = this.buffer.shift();
        if (line !== undefined) return Promise.resolve({ value: line, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.end();
        this.buffer.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
