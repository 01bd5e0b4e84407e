import type { INodeProperties } from 'n8n-workflow';

/** The node's parameters as the editor shows them. */
export const payrollMailBouncesProperties: INodeProperties[] = [
	{
		displayName:
			'Put this node after an Email Trigger (IMAP) on the mailbox the payslips are sent from: bounces come out on Bounced, one item per employee address that did not get the mail, every other mail on Other',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		description:
			"The binary field holding the received mail as a raw message (.eml). An item without it is read as n8n's Email Trigger gives a mail (text, headers and attachments).",
	},
	{
		displayName: 'Look Up in Send Journal',
		name: 'useJournal',
		type: 'boolean',
		default: false,
		description:
			"Whether to find each bounced mail in Payroll Mail's send journal in PostgreSQL (Skip Already Sent → Record In → PostgreSQL): the item's key and the execution come from it, and the bounce is noted on the mail's row",
	},
	{
		displayName: 'Table Name',
		name: 'journalTable',
		type: 'string',
		default: 'payroll_mail_journal',
		displayOptions: { show: { useJournal: [true] } },
		placeholder: 'payroll_mail_journal',
		description: 'The send journal\'s table, as in the Payroll Mail node\'s Skip Already Sent: Table Name',
	},
];
