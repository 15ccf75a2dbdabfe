/**
 * Structured logs (pino), always on stderr: over stdio, stdout carries the MCP protocol
 * and a stray log line would corrupt it. Secrets are never passed to the logger; the
 * redact list is a second fence.
 */
import pino, { type Logger } from 'pino';

/** `level` comes from the settings (`log.level`, LOG_LEVEL); the logger reads nothing itself. */
export function createLogger(level = 'info'): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: ['*.authorization', '*.cookie', '*["x-api-key"]', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
    },
    pino.destination({ dest: 2, sync: false }),
  );
}
