import type * as BackendCommon from '@n8n/backend-common';

/**
 * n8n's Logger, as n8n-core resolves it: nodes log through `this.logger`, which is this class,
 * and so does the engine. Resolved through n8n-core for the reason given in container.ts.
 */
const backendCommonPath = require.resolve('@n8n/backend-common', { paths: [require.resolve('n8n-core')] });
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the path is only known at run time
const { Logger } = require(backendCommonPath) as typeof BackendCommon;

/**
 * Runs `work` while recording every line n8n's logger is given, at every level and whatever
 * N8N_LOG_LEVEL lets through to the console: what a node logs is what an operator could see.
 * Each line is the level, the message and the metadata as JSON; `onLine` sees each as it is logged.
 */
export async function captureLogs<T>(work: () => Promise<T>, onLine?: (line: string) => void): Promise<{ result: T; logs: string[] }> {
	const logs: string[] = [];
	const prototype = Logger.prototype as unknown as { log(level: string, message: string, metadata: object): void };
	const original = prototype.log;
	prototype.log = function (this: unknown, level: string, message: string, metadata: object) {
		logs.push(`${level} ${message} ${JSON.stringify(metadata, (_key, value: unknown) => (value instanceof Error ? { message: value.message, stack: value.stack } : value))}`);
		onLine?.(logs[logs.length - 1]);
		original.call(this, level, message, metadata);
	};
	try {
		return { result: await work(), logs };
	} finally {
		prototype.log = original;
	}
}
