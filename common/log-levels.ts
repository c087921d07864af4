/**
 * Log levels as words (what code calls `log` with) and as the numbers stored on a log line
 * (Python's logging numbers, as Prefect stores them). Browser-safe: the SDK, the Node worker, the
 * tab worker and the task kinds all map through this one table.
 */
export const LOG_LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const satisfies Record<string, number>;

export type LogLevel = keyof typeof LOG_LEVELS;
