import type { INodeParameters, INodeProperties } from 'n8n-workflow';

import { payrollMailProperties } from '../PayrollMail.description';

/**
 * The node's parameters by when they are read. Run-wide ones hold for the whole run (an
 * expression must give the same value for every item); per-item ones are evaluated for each
 * employee. Every parameter of the description is in exactly one list (a test checks it).
 */
export const RUN_WIDE_PARAMETERS = [
	'sendMode',
	'delivery',
	'authentication',
	'pickupDirectory',
	'batchSize',
	'batchWait',
	'mailDelay',
	'options.dryRun',
	'options.skipAlreadySent',
	'options.ledgerStore',
	'options.ledgerTable',
	'options.accountWait',
	'options.includeEml',
	'options.maxRetries',
	'options.retryWait',
	'options.parallelConnections',
	'options.mailsPerConnection',
	'options.connectionTimeout',
	'options.greetingTimeout',
	'options.socketTimeout',
	'options.smtpLog',
] as const;

export const PER_ITEM_PARAMETERS = [
	'testRecipient',
	'fromEmail',
	'toEmail',
	'subject',
	'emailFormat',
	'text',
	'html',
	'rtf',
	'attachments',
	'recipientMode',
	'bccEmail',
	'options.ccEmail',
	'options.replyTo',
	'options.testRecipient',
	'options.idempotencyKey',
	'options.resendUnconfirmed',
	'options.inlineImages',
	'options.pdfPassword',
	'options.charset',
	'options.transferEncoding',
	'options.foldSubject',
	'options.headers',
	'options.readReceipt',
	'options.autoSubmitted',
	'options.deliveryReports',
] as const;

export type RunWideParameter = (typeof RUN_WIDE_PARAMETERS)[number];
export type PerItemParameter = (typeof PER_ITEM_PARAMETERS)[number];

/** A number parameter as the editor enforces it: the same bounds hold when an expression sets it. */
export interface NumberRule {
	label: string;
	defaultValue: number;
	min: number;
	max: number;
	integer: boolean;
}

/**
 * The description of a parameter, by its path: `batchSize`, or `options.maxRetries` for an
 * option. The description is the one place that holds labels, defaults and bounds.
 */
export function describedParameter(path: string): INodeProperties {
	const [name, option] = path.split('.');
	const parameter = payrollMailProperties.find((property) => property.name === name);
	const described = option === undefined ? parameter : (parameter?.options as INodeProperties[] | undefined)?.find((entry) => entry.name === option);
	if (!described) throw new Error(`No parameter "${path}" in the node's description`);
	return described;
}

/** The parameter's default, as the description gives it: the one place defaults live. */
export function defaultOf(path: RunWideParameter | PerItemParameter): unknown {
	return describedParameter(path).default;
}

export function numberRule(path: string): NumberRule {
	const { displayName, default: defaultValue, typeOptions = {} } = describedParameter(path);
	return {
		label: displayName,
		defaultValue: defaultValue as number,
		min: typeOptions.minValue ?? Number.NEGATIVE_INFINITY,
		max: typeOptions.maxValue ?? Number.POSITIVE_INFINITY,
		integer: typeOptions.numberPrecision === 0,
	};
}

/** Whether the parameter at `path`, or the collection holding it, is an expression (may differ per item). */
export function isExpression(parameters: INodeParameters, path: string): boolean {
	let value: unknown = parameters;
	for (const key of path.split('.')) {
		if (typeof value === 'string') return value.startsWith('=');
		value = (value as INodeParameters | undefined)?.[key];
	}
	return typeof value === 'string' && value.startsWith('=');
}

/**
 * Whether the parameter at `path` may differ from item to item: it or a collection holding it is
 * an expression, or anything inside it is (a custom header's value, say).
 */
export function mayDifferPerItem(parameters: INodeParameters, path: string): boolean {
	if (isExpression(parameters, path)) return true;
	const holdsExpression = (value: unknown): boolean =>
		typeof value === 'string' ? value.startsWith('=') : typeof value === 'object' && value !== null && Object.values(value).some(holdsExpression);
	return holdsExpression(savedValue(parameters, path));
}

/** The parameter at `path` as saved in the workflow (an expression still a string starting with `=`). */
export function savedValue(parameters: INodeParameters, path: string): unknown {
	return path.split('.').reduce<unknown>((value, key) => (value as INodeParameters | undefined)?.[key], parameters);
}
