import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * A namespaced logger (`hub`, `gateway:modbus:pump-1`). Human-readable on a terminal, JSON
 * lines otherwise (for log shippers). Level from LOG_LEVEL (default info). Node only.
 */
export function createLogger(name: string): Logger {
  const level = process.env.LOG_LEVEL ?? 'info';
  if (process.stdout.isTTY || process.env.LOG_FORMAT === 'pretty') {
    return pino(
      { name, level },
      pretty({
        colorize: process.stdout.isTTY,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss.l',
        sync: true,
      }),
    );
  }
  return pino({ name, level });
}
