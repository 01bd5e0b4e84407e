import type { INodeProperties } from 'n8n-workflow';

/** The mail provider's limits: batch size and the waits. */
export const pacingFields: INodeProperties[] = [
	{
		displayName: 'Mails per Batch',
		name: 'batchSize',
		type: 'number',
		default: 0,
		typeOptions: { minValue: 0, numberPrecision: 0 },
		hint: 'Your provider\'s limit per batch; 0 sends everything in one batch',
	},
	{
		displayName: 'Wait Between Batches (Seconds)',
		name: 'batchWait',
		type: 'number',
		default: 0,
		typeOptions: { minValue: 0, maxValue: 86400 },
		displayOptions: { hide: { batchSize: [0] } },
	},
	{
		displayName: 'Wait Between Mails (Seconds)',
		name: 'mailDelay',
		type: 'number',
		default: 0,
		typeOptions: { minValue: 0, maxValue: 3600 },
	},
];
