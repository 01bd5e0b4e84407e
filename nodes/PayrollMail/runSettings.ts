import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import type { PacingRules } from './plan/pacer';
import { DEFAULT_TUNING, type TransportTuning } from './transport/smtpTransport';

/** What holds for the whole run, read once: the provider's limits and how to retry. */
export interface RunSettings {
	pacing: PacingRules;
	maxRetries: number;
	retryWaitMs: number;
	dryRun: boolean;
	tuning: TransportTuning;
	/** Write the SMTP conversation to n8n's log. */
	smtpLog: boolean;
}

/**
 * Reads the run-wide parameters. They are read for the first item: a batch size that changed
 * from item to item would have no meaning.
 */
export function readRunSettings(context: IExecuteFunctions): RunSettings {
	const seconds = (name: string, value: unknown) => nonNegative(context, name, value) * 1000;
	const options = context.getNodeParameter('options', 0, {}) as IDataObject;
	const batchSize = nonNegative(context, 'Mails per Batch', context.getNodeParameter('batchSize', 0, 0));
	if (!Number.isInteger(batchSize)) {
		throw new NodeOperationError(context.getNode(), `Mails per Batch must be a whole number, not ${batchSize}`);
	}
	return {
		pacing: {
			batchSize,
			batchWaitMs: seconds('Wait Between Batches', context.getNodeParameter('batchWait', 0, 0)),
			mailDelayMs: seconds('Wait Between Mails', context.getNodeParameter('mailDelay', 0, 0)),
		},
		maxRetries: Math.floor(nonNegative(context, 'Retries', options.maxRetries ?? 2)),
		retryWaitMs: seconds('Retry Wait', options.retryWait ?? 5),
		dryRun: options.dryRun === true,
		tuning: {
			parallelConnections: Math.max(1, Math.floor(nonNegative(context, 'Parallel Connections', options.parallelConnections ?? 1))),
			connectionTimeoutMs: seconds('Connection Timeout', options.connectionTimeout ?? DEFAULT_TUNING.connectionTimeoutMs / 1000),
			greetingTimeoutMs: seconds('Greeting Timeout', options.greetingTimeout ?? DEFAULT_TUNING.greetingTimeoutMs / 1000),
			socketTimeoutMs: seconds('Server Silence Timeout', options.socketTimeout ?? DEFAULT_TUNING.socketTimeoutMs / 1000),
		},
		smtpLog: options.smtpLog === true,
	};
}

function nonNegative(context: IExecuteFunctions, label: string, value: unknown): number {
	const number = Number(value ?? 0);
	if (!Number.isFinite(number) || number < 0) {
		throw new NodeOperationError(context.getNode(), `${label} must be 0 or more, not ${String(value)}`);
	}
	return number;
}
