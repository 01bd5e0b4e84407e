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
	/** Where the mails go: the SMTP server, or a pickup folder an MTA collects from. */
	delivery: { kind: 'smtp' } | { kind: 'pickupDirectory'; directory: string };
	/** Add each mail's bytes to its output item as binary `eml`. */
	includeEml: boolean;
	/** Send nothing an earlier execution already sent (kept in the workflow's static data). */
	skipAlreadySent: boolean;
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
			mailsPerConnection: Math.floor(nonNegative(context, 'Mails per Connection', options.mailsPerConnection ?? DEFAULT_TUNING.mailsPerConnection)),
			connectionTimeoutMs: seconds('Connection Timeout', options.connectionTimeout ?? DEFAULT_TUNING.connectionTimeoutMs / 1000),
			greetingTimeoutMs: seconds('Greeting Timeout', options.greetingTimeout ?? DEFAULT_TUNING.greetingTimeoutMs / 1000),
			socketTimeoutMs: seconds('Server Silence Timeout', options.socketTimeout ?? DEFAULT_TUNING.socketTimeoutMs / 1000),
		},
		smtpLog: options.smtpLog === true,
		delivery: readDelivery(context),
		includeEml: options.includeEml === true,
		skipAlreadySent: options.skipAlreadySent === true,
	};
}

function readDelivery(context: IExecuteFunctions): RunSettings['delivery'] {
	if (context.getNodeParameter('delivery', 0, 'smtp') !== 'pickupDirectory') return { kind: 'smtp' };
	const directory = String(context.getNodeParameter('pickupDirectory', 0, '') ?? '').trim();
	if (!directory) {
		throw new NodeOperationError(context.getNode(), 'Pickup Directory is empty: enter the folder your mail server collects from');
	}
	return { kind: 'pickupDirectory', directory };
}

function nonNegative(context: IExecuteFunctions, label: string, value: unknown): number {
	const number = Number(value ?? 0);
	if (!Number.isFinite(number) || number < 0) {
		throw new NodeOperationError(context.getNode(), `${label} must be 0 or more, not ${String(value)}`);
	}
	return number;
}
