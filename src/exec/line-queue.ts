// An async iterable fed by a producer (lines of a child's output, monitor events), in order, ending or failing once.

type Waiter<T> = { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void };

/**
 * An async iterable of items (lines by default) fed by a producer: items are kept in order until
 * read, and the iteration ends when the producer calls {@link LineQueue.end}, or fails once with the
 * error given to {@link LineQueue.fail} (after the buffered items). Readers waiting at the same time
 * are served in the order they asked.
 */
export class LineQueue<T = string> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private ended = false;
  private failure: Error | null = null;

  /** Adds an item; it reaches a reader in order. Ignored after {@link end} or {@link fail}. */
  push(item: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w) w.resolve({ value: item, done: false });
    else this.buffer.push(item);
  }

  /** Ends the iteration once the buffered items have been read. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settleWaiters();
  }

  /**
   * Ends the iteration with an error: after the buffered items, the next read rejects with `error`
   * (once) and later reads are done. Ignored after {@link end} or an earlier failure.
   */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    this.settleWaiters();
  }

  /** True once {@link end} or {@link fail} was called. */
  get isEnded(): boolean {
    return this.ended;
  }

  private settleWaiters(): void {
    if (this.buffer.length > 0) return;
    for (const w of this.waiters.splice(0)) this.finish(w);
  }

  /** Serves an ended queue's reader: the failure once, then done. */
  private finish(w: Waiter<T>): void {
    const f = this.failure;
    this.failure = null;
    if (f) w.reject(f);
    else w.resolve({ value: undefined, done: true });
  }

  /** The next item, in order; done once ended and drained. */
  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.ended) {
      return new Promise((resolve, reject) => this.finish({ resolve, reject }));
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        this.end();
        this.buffer.length = 0;
        this.failure = null;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
