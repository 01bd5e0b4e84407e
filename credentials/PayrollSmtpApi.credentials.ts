import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

import { tlsAndGreetingFields } from './tlsAndGreetingFields';

const authenticated = { hide: { authMethod: ['none'] } };
const tlsInUse = { hide: { connection: ['plaintext'] } };

export class PayrollSmtpApi implements ICredentialType {
	name = 'payrollSmtpApi';

	displayName = 'Payroll Mail SMTP';

	icon: Icon = {
		light: 'file:payrollSmtp.svg',
		dark: 'file:payrollSmtp.dark.svg',
	};

	documentationUrl = 'https://github.com/payroll-mail/n8n-nodes-payroll-mail#credential-payroll-mail-smtp';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'smtp.example.com',
			description: 'Name or IP address of the SMTP server (your provider calls it "outgoing mail server")',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0, maxValue: 65535 },
			hint: '0 = automatic: 465 for SSL/TLS, 587 for STARTTLS, 25 otherwise',
		},
		{
			displayName: 'Connection Security',
			name: 'connection',
			type: 'options',
			default: 'auto',
			options: [
				{
					name: 'Automatic',
					value: 'auto',
					description: 'SSL/TLS on port 465, otherwise STARTTLS whenever the server offers it',
				},
				{
					name: 'Plain Text (No Encryption)',
					value: 'plaintext',
					description: 'Never encrypt, even if the server offers it. Only for a relay inside your own network.',
				},
				{
					name: 'SSL/TLS',
					value: 'sslTls',
					description: 'Encrypted from the first byte (usually port 465)',
				},
				{
					name: 'STARTTLS (Required)',
					value: 'startTls',
					description: 'Upgrade to encryption before logging in; refuse to send if the server cannot (usually port 587)',
				},
			],
		},
		{
			displayName: 'Authentication',
			name: 'authMethod',
			type: 'options',
			default: 'auto',
			options: [
				{
					name: 'Automatic',
					value: 'auto',
					description: 'Log in with the best method the server offers (no login when User is empty)',
				},
				{ name: 'CRAM-MD5', value: 'cramMd5' },
				{ name: 'LOGIN', value: 'login' },
				{ name: 'None', value: 'none', description: 'The server accepts mail without a login' },
				{ name: 'NTLM (Microsoft Exchange)', value: 'ntlm' },
				{ name: 'PLAIN', value: 'plain' },
				{ name: 'XOAUTH2 (Microsoft 365, Google)', value: 'xoauth2' },
			],
			hint: 'A chosen method is never replaced by a send without login: if the server refuses it, the mails fail',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			displayOptions: authenticated,
			placeholder: 'payroll@example.com',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { hide: { authMethod: ['none', 'xoauth2'] } },
		},
		{
			displayName: 'NTLM Domain',
			name: 'ntlmDomain',
			type: 'string',
			default: '',
			displayOptions: { show: { authMethod: ['ntlm'] } },
			placeholder: 'COMPANY',
			description: 'Windows domain of the account, if your administrator names one',
		},
		{
			displayName: 'NTLM Workstation',
			name: 'ntlmWorkstation',
			type: 'string',
			default: '',
			displayOptions: { show: { authMethod: ['ntlm'] } },
			description: 'Name of this computer as the domain knows it; usually left empty',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authMethod: ['xoauth2'] } },
			description: 'An OAuth2 access token for the mailbox. Leave empty to obtain one with the fields below.',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			displayOptions: { show: { authMethod: ['xoauth2'] } },
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authMethod: ['xoauth2'] } },
		},
		{
			displayName: 'Refresh Token',
			name: 'refreshToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authMethod: ['xoauth2'] } },
		},
		{
			displayName: 'Access Token URL',
			name: 'accessUrl',
			type: 'string',
			default: '',
			displayOptions: { show: { authMethod: ['xoauth2'] } },
			placeholder: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
			description: "Your provider's token endpoint; empty uses Google's",
		},
		...tlsAndGreetingFields(tlsInUse),
	];
}
