import type { INodeProperties } from 'n8n-workflow';

/**
 * The two safety switches, first in the panel from version 1.1 on. Version 1 kept them as Dry Run
 * and Test Recipient under Options, where its saved workflows still have them.
 */
export const sendModeFields: INodeProperties[] = [
	{
		displayName: 'Send Mode',
		name: 'sendMode',
		type: 'options',
		default: 'send',
		displayOptions: { hide: { '@version': [1] } },
		options: [
			{ name: 'Send', value: 'send', description: 'Send every mail to its employee' },
			{
				name: 'Dry Run (Send Nothing)',
				value: 'dryRun',
				description: 'Build every mail and check addresses and attachments; nothing is sent, problems go to Failed',
			},
			{
				name: 'Only to a Test Address',
				value: 'testRecipient',
				description: 'Send every mail to your own address instead of the employees, CC and archive copy',
			},
		],
		hint: 'Try a new workflow with Dry Run, then Only to a Test Address, then Send',
	},
	{
		displayName: 'Test Address',
		name: 'testRecipient',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { sendMode: ['testRecipient'] } },
		placeholder: 'me@example.com',
		description: 'Every mail goes to this address only; the output names whom it would have gone to',
	},
];
