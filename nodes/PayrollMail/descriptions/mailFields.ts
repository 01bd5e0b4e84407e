import type { INodeProperties } from 'n8n-workflow';

/** Where the mails go and what they hold. */
export const mailFields: INodeProperties[] = [
	{
		displayName: 'Delivery',
		name: 'delivery',
		type: 'options',
		default: 'smtp',
		options: [
			{ name: 'SMTP Server', value: 'smtp', description: 'Send through the mail server of the credential' },
			{
				name: 'Pickup Directory',
				value: 'pickupDirectory',
				description: 'Write one .eml file per mail into a folder your mail server collects from',
			},
		],
	},
	{
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		default: 'smtp',
		// No displayOptions: n8n's editor shows this choice in the credential area and hides every
		// parameter it depends on, so a condition on Delivery would hide Delivery itself.
		options: [
			{ name: 'SMTP Account', value: 'smtp', description: 'A user and password (or another login method) for the mail server' },
			{ name: 'OAuth2 (Microsoft 365, Google)', value: 'oAuth2', description: 'Sign in with Microsoft or Google; required for Microsoft 365 from 2027' },
		],
	},
	{
		displayName: 'Pickup Directory',
		name: 'pickupDirectory',
		type: 'string',
		default: '',
		required: true,
		placeholder: '/var/spool/pickup',
		displayOptions: { show: { delivery: ['pickupDirectory'] } },
		description: 'Folder the mail server collects .eml files from (IIS or Exchange: ...\\Pickup)',
	},
	{
		displayName: 'From Email',
		name: 'fromEmail',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Payroll <payroll@example.com>',
		description: 'Sender shown to the employees: "Name &lt;address&gt;" or just the address',
	},
	{
		displayName: 'To Email',
		name: 'toEmail',
		type: 'string',
		default: '',
		required: true,
		placeholder: '{{ $json.email }}',
		description: "The employee's address: drag its field from the input on the left, and n8n writes the expression. Several addresses: separate them with commas.",
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		default: '',
		placeholder: 'Your payslip for {{ $json.period }}',
	},
	{
		displayName: 'Email Format',
		name: 'emailFormat',
		type: 'options',
		default: 'text',
		options: [
			{ name: 'Text', value: 'text', description: 'Plain text' },
			{ name: 'HTML', value: 'html', description: 'Formatted text' },
			{ name: 'Both', value: 'both', description: 'HTML with a plain-text version for simple mail programs' },
			{ name: 'RTF', value: 'rtf', description: 'Rich Text Format, as some payroll software writes it' },
		],
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
		displayOptions: { show: { emailFormat: ['text', 'both'] } },
		placeholder: 'Dear {{ $json.name }}, please find your payslip attached.',
	},
	{
		displayName: 'HTML',
		name: 'html',
		type: 'string',
		typeOptions: { rows: 5, editor: 'htmlEditor' },
		default: '',
		displayOptions: { show: { emailFormat: ['html', 'both'] } },
	},
	{
		displayName: 'RTF',
		name: 'rtf',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
		displayOptions: { show: { emailFormat: ['rtf'] } },
		placeholder: '{\\rtf1\\ansi Dear {{ $json.name }}\\par}',
	},
	{
		displayName: 'Attachment Field Names',
		name: 'attachments',
		type: 'string',
		default: 'data',
		placeholder: 'data, payslip',
		hint: 'The input fields that hold the files (usually data), separated by commas. A file named or typed as PDF must really be one.',
	},
	{
		displayName: 'Recipients',
		name: 'recipientMode',
		type: 'options',
		default: 'together',
		options: [
			{
				name: 'One Mail to All of the Employee\'s Addresses',
				value: 'together',
				description: 'Every address in To Email gets the same mail and sees the others',
			},
			{
				name: 'One Mail per Address',
				value: 'separate',
				description: 'Each recipient gets their own mail and sees only their own address',
			},
		],
	},
	{
		displayName: 'Archive Copy (BCC)',
		name: 'bccEmail',
		type: 'string',
		default: '',
		placeholder: 'payroll-archive@example.com',
		description: 'Gets a copy of every mail; invisible to the employees',
	},
];
