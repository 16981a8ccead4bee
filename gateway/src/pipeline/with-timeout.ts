export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Settles with `promise`, or rejects after `ms` with `TimeoutError(message)` (or the given error).
 * The original promise is not cancelled; its later outcome is ignored (and never becomes an
 * unhandled rejection).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string | Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(typeof message === 'string' ? new TimeoutError(message) : message),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
