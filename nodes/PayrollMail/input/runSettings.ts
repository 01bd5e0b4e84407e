import type { IExecuteFunctions } from 'n8n-workflow';

import { configurationError } from '../core/mailError';
import type { PacingRules } from '../plan/pacer';
import type { TransportTuning } from '../transport/smtp/smtpTransport';
import { defaultOf, describedParameter, isExpression, numberRule, type RunWideParameter } from './parameters';

export type SendMode = 'send' | 'dryRun' | 'testRecipient';

/** What holds for the whole run, read once: the provider's limits and how to retry. */
export interface RunSettings {
	pacing: PacingRules;
	maxRetries: number;
	retryWaitMs: number;
	/** Send, build and check only (a dry run), or send to the clerk's test address only. */
	sendMode: SendMode;
	dryRun: boolean;
	tuning: TransportTuning;
	/** Write the SMTP conversation to n8n's log. */
	smtpLog: boolean;
	/** Where the mails go: the SMTP server, or a pickup folder an MTA collects from. */
	delivery: { kind: 'smtp' } | { kind: 'pickupDirectory'; directory: string };
	/** Which credential logs in to the SMTP server. */
	authentication: 'smtp' | 'oAuth2';
	/** Add each mail's bytes to its output item as binary `eml`. */
	includeEml: boolean;
	/** Send nothing an earlier execution already sent. */
	skipAlreadySent: boolean;
	/** Where Skip Already Sent keeps its record: n8n's deduplication store, or a journal table in PostgreSQL. */
	ledgerStore: 'n8n' | 'postgres';
	/** The PostgreSQL journal's table, as the clerk typed it. */
	ledgerTable: string;
	/** How long a run waits while another execution sends from the same account. */
	accountWaitMs: number;
}

/**
 * Reads the run-wide parameters. A batch size or a delivery that changed from item to item would
 * have no meaning, so each must be the same for every item; one that is not, or a number outside
 * the bounds the editor enforces, stops the node before anything is sent, naming the parameter.
 */
export function readRunSettings(context: IExecuteFunctions): RunSettings {
	const read = (path: RunWideParameter) => runWideValue(context, path);
	const number = (path: RunWideParameter) => checkedNumber(context, path, read(path));
	// The description's upper bounds keep every wait, retry backoff included, within a timer's reach.
	const seconds = (path: RunWideParameter) => Math.round(number(path) * 1000);
	// Version 1 nodes have Dry Run under Options, and no Send Mode.
	const sendMode: SendMode = read('options.dryRun') === true ? 'dryRun' : (read('sendMode') as SendMode);
	return {
		pacing: {
			batchSize: number('batchSize'),
			batchWaitMs: seconds('batchWait'),
			mailDelayMs: seconds('mailDelay'),
		},
		maxRetries: number('options.maxRetries'),
		retryWaitMs: seconds('options.retryWait'),
		sendMode,
		dryRun: sendMode === 'dryRun',
		tuning: {
			parallelConnections: number('options.parallelConnections'),
			mailsPerConnection: number('options.mailsPerConnection'),
			connectionTimeoutMs: seconds('options.connectionTimeout'),
			greetingTimeoutMs: seconds('options.greetingTimeout'),
			socketTimeoutMs: seconds('options.socketTimeout'),
		},
		smtpLog: read('options.smtpLog') === true,
		delivery: readDelivery(context, read),
		authentication: read('authentication') === 'oAuth2' ? 'oAuth2' : 'smtp',
		includeEml: read('options.includeEml') === true,
		skipAlreadySent: read('options.skipAlreadySent') === true,
		ledgerStore: readLedgerStore(context, read),
		ledgerTable: String(read('options.ledgerTable') ?? ''),
		accountWaitMs: seconds('options.accountWait'),
	};
}

function readLedgerStore(context: IExecuteFunctions, read: (path: RunWideParameter) => unknown): RunSettings['ledgerStore'] {
	const store = read('options.ledgerStore');
	if (store === 'n8n' || store === 'postgres') return store;
	throw configurationError(context.getNode(), `Skip Already Sent: Record In must be "n8n" or "postgres", not ${shown(store)}`);
}

function readDelivery(context: IExecuteFunctions, read: (path: RunWideParameter) => unknown): RunSettings['delivery'] {
	if (read('delivery') !== 'pickupDirectory') return { kind: 'smtp' };
	const directory = String(read('pickupDirectory') ?? '').trim();
	if (!directory) {
		throw configurationError(context.getNode(), 'Pickup Directory is empty: enter the folder your mail server collects from');
	}
	return { kind: 'pickupDirectory', directory };
}

/** How a connection is driven when no node parameter says otherwise (the credential test): the description's defaults. */
export function defaultTuning(): TransportTuning {
	const seconds = (path: RunWideParameter) => (defaultOf(path) as number) * 1000;
	return {
		parallelConnections: defaultOf('options.parallelConnections') as number,
		mailsPerConnection: defaultOf('options.mailsPerConnection') as number,
		connectionTimeoutMs: seconds('options.connectionTimeout'),
		greetingTimeoutMs: seconds('options.greetingTimeout'),
		socketTimeoutMs: seconds('options.socketTimeout'),
	};
}

/**
 * The parameter's value for the first item; an expression is evaluated for every item and must
 * give the same value each time.
 */
function runWideValue(context: IExecuteFunctions, path: RunWideParameter): unknown {
	const { displayName, default: fallback } = describedParameter(path);
	const value = context.getNodeParameter(path, 0, fallback) as unknown;
	if (!isExpression(context.getNode().parameters, path)) return value;
	const itemCount = context.getInputData().length;
	for (let itemIndex = 1; itemIndex < itemCount; itemIndex++) {
		const other = context.getNodeParameter(path, itemIndex, fallback) as unknown;
		if (JSON.stringify(other) !== JSON.stringify(value)) {
			throw configurationError(
				context.getNode(),
				`${displayName} holds for the whole run, but its expression gives ${shown(value)} for item 0 ` +
					`and ${shown(other)} for item ${itemIndex}. Make it the same for every item`,
				itemIndex,
			);
		}
	}
	return value;
}

function checkedNumber(context: IExecuteFunctions, path: string, value: unknown): number {
	const { label, min, max, integer } = numberRule(path);
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	const bounds = max === Number.POSITIVE_INFINITY ? `${min} or more` : `from ${min} to ${max}`;
	if (typeof number !== 'number' || !Number.isFinite(number) || number < min || number > max) {
		throw configurationError(context.getNode(), `${label} must be a number ${bounds}, not ${shown(value)}`);
	}
	if (integer && !Number.isInteger(number)) {
		throw configurationError(context.getNode(), `${label} must be a whole number ${bounds}, not ${shown(value)}`);
	}
	return number;
}

/** A value as the clerk would recognise it: numbers (NaN too) bare, text in quotes. */
function shown(value: unknown): string {
	return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}
