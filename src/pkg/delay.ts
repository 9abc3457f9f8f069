/** Resolves after `ms`; the timer never keeps the process alive on its own (a race partner, not a job). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
