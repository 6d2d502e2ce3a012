/**
 * The one abortable wait. Resolves `true` when the time has passed and `false` as soon as the
 * signal aborts (never rejects, never keeps the process alive after an abort): loops that stop on
 * abort just check the result, callers that must fail on abort throw `signal.reason`.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<boolean>;

export const sleep: Sleep = (ms, signal) =>
  new Promise<boolean>((resolve) => {
    if (signal?.aborted) return resolve(false);
    const done = (passed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(passed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
