import { createLogger, type Logger } from '@caretaker/protocol/log';

/** A namespaced logger for tests: quiet (warn) unless LOG_LEVEL asks for more. */
export function testLogger(name: string): Logger {
  const logger = createLogger(name);
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  return logger;
}
