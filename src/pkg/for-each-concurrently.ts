/**
 * Runs `work` on every item, at most `concurrency` at a time, taking items in order. The first failure aborts
 * the signal every call got (so the others stop early) and no further item is started; once all running calls
 * have stopped, the failure of the lowest-numbered worker is thrown. An abort of `signal` also stops starting
 * items. Layer downloads and uploads go this way.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal | undefined,
  work: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !combined.aborted) await work(items[next++]!, combined);
  };
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, () =>
    worker().catch((err: unknown) => {
      controller.abort();
      throw err;
    }),
  );
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}
