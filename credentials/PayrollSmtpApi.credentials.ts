import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

import { tlsAndGreetingFields } from './tlsAndGreetingFields';

const authenticated = { hide: { authMethod: ['none'] } };

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
			hint: 'Leave 0 for the usual port of the security chosen: 465 for SSL/TLS, 587 for STARTTLS, 25 for plain text',
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
					description: 'SSL/TLS on port 465, otherwise STARTTLS; a server that offers no encryption gets nothing (unless it is this computer)',
				},
				{
					name: 'Plain Text (No Encryption)',
					value: 'plaintext',
					description: 'Never encrypt, even if the server offers it: only for a relay inside your company network',
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
				{ name: 'CRAM-MD5', value: 'cramMd5', description: 'Only this method; if the server refuses it, nothing is sent' },
				{ name: 'LOGIN', value: 'login', description: 'Only this method; if the server refuses it, nothing is sent' },
				{ name: 'None', value: 'none', description: 'No login: the server accepts mail from this computer without one' },
				{ name: 'NTLM (Microsoft Exchange)', value: 'ntlm', description: 'Windows login to an Exchange server in your company' },
				{ name: 'PLAIN', value: 'plain', description: 'Only this method; if the server refuses it, nothing is sent' },
				{
					name: 'XOAUTH2 With a Token',
					value: 'xoauth2',
					description: 'A token you obtained yourself; for Microsoft 365 and Google the Payroll Mail SMTP OAuth2 API credential is easier',
				},
			],
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
			placeholder: 'https://oauth2.googleapis.com/token',
			description: "Your provider's token endpoint, e.g. https://login.microsoftonline.com/&lt;tenant&gt;/oauth2/v2.0/token; empty uses Google's",
		},
		{
			displayName: 'Advanced Connection Settings',
			name: 'advancedTls',
			type: 'boolean',
			default: false,
			description: 'Whether to show the settings for a company relay: certificates, TLS server name and greeting name. Most mail providers need none of them.',
		},
		...tlsAndGreetingFields({ show: { advancedTls: [true] }, hide: { connection: ['plaintext'] } }, { show: { advancedTls: [true] } }),
	];
}
