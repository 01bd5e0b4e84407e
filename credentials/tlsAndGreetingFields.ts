import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/**
 * The TLS and greeting fields both SMTP credentials hold under the same names, so that a relay
 * with a private CA or an IP address for Host is set up alike in either.
 */
export function tlsAndGreetingFields(tls: IDisplayOptions, greeting?: IDisplayOptions): INodeProperties[] {
	return [
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'allowUnauthorizedCerts',
			type: 'boolean',
			default: false,
			displayOptions: tls,
			description: 'Whether to accept a certificate that cannot be verified. Prefer adding your company CA below.',
		},
		{
			displayName: 'Company CA Certificate',
			name: 'caCertificate',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			displayOptions: tls,
			placeholder: '-----BEGIN CERTIFICATE-----',
			description: 'PEM certificate of a private certificate authority to trust in addition to the public ones',
		},
		{
			displayName: 'TLS Server Name',
			name: 'tlsServerName',
			type: 'string',
			default: '',
			displayOptions: tls,
			placeholder: 'mail.example.com',
			description: 'Name the certificate must carry, when Host is an IP address',
		},
		{
			displayName: 'Client Host Name',
			name: 'clientHostName',
			type: 'string',
			default: '',
			...(greeting && { displayOptions: greeting }),
			placeholder: 'payroll.example.com',
			description: 'Name this computer gives in its greeting (EHLO); some relays only accept known names',
		},
	];
}
