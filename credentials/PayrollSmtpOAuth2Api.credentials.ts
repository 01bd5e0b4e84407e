import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

import { tlsAndGreetingFields } from './tlsAndGreetingFields';

const custom = { show: { provider: ['custom'] } };
/** Inside an expression: the tenant's Microsoft sign-in address, without its last part. */
const MICROSOFT_LOGIN = '"https://login.microsoftonline.com/" + $self["tenantId"] + "/oauth2/v2.0"';

/**
 * SMTP with XOAUTH2, signed in through n8n's own OAuth2: n8n runs the Connect button and consent
 * screen (authorization code, with PKCE where the provider takes it) or the client-credentials
 * grant, keeps the tokens in the credential and stores a rotated refresh token. For Microsoft 365
 * and Google the URLs and scopes are fixed and hidden; a custom provider shows n8n's OAuth2 fields.
 */
export class PayrollSmtpOAuth2Api implements ICredentialType {
	name = 'payrollSmtpOAuth2Api';

	extends = ['oAuth2Api'];

	// n8n's lint wants OAuth2 credentials' names to end so.
	displayName = 'Payroll Mail SMTP OAuth2 API';

	icon: Icon = {
		light: 'file:payrollSmtp.svg',
		dark: 'file:payrollSmtp.dark.svg',
	};

	documentationUrl = 'https://github.com/payroll-mail/n8n-nodes-payroll-mail#credential-payroll-mail-smtp-oauth2';

	properties: INodeProperties[] = [
		{
			displayName: 'Provider',
			name: 'provider',
			type: 'options',
			default: 'microsoft365',
			options: [
				{ name: 'Microsoft 365 (Exchange Online)', value: 'microsoft365' },
				{ name: 'Google Workspace (Gmail)', value: 'google' },
				{ name: 'Other Provider', value: 'custom' },
			],
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			default: 'authorizationCode',
			options: [
				{ name: 'Sign In as the Mailbox (Authorization Code)', value: 'authorizationCode' },
				{ name: 'Sign In as the Mailbox (Authorization Code with PKCE)', value: 'pkce' },
				{ name: 'App-Only, No Sign-In (Client Credentials; Microsoft 365 and Others)', value: 'clientCredentials' },
			],
		},
		{
			displayName: 'Tenant ID',
			name: 'tenantId',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { provider: ['microsoft365'] } },
			placeholder: 'contoso.onmicrosoft.com',
			description: 'Directory (tenant) ID or primary domain of your Microsoft 365 organisation, from the Entra admin center',
		},
		{
			displayName: 'Authorization URL',
			name: 'customAuthUrl',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { provider: ['custom'], grantType: ['authorizationCode', 'pkce'] } },
		},
		{
			displayName: 'Access Token URL',
			name: 'customAccessTokenUrl',
			type: 'string',
			default: '',
			required: true,
			displayOptions: custom,
		},
		{
			displayName: 'Scope',
			name: 'customScope',
			type: 'string',
			default: '',
			displayOptions: custom,
			description: 'The scope that lets the token send mail over SMTP, as your provider names it',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'customAuthQueryParameters',
			type: 'string',
			default: '',
			displayOptions: { show: { provider: ['custom'], grantType: ['authorizationCode', 'pkce'] } },
		},
		{
			displayName: 'Send Client Credentials In',
			name: 'customAuthentication',
			type: 'options',
			default: 'body',
			displayOptions: custom,
			options: [
				{ name: 'Body', value: 'body' },
				{ name: 'Basic Auth Header', value: 'header' },
			],
		},
		// What n8n's OAuth2 reads, fixed for Microsoft 365 and Google, the custom fields otherwise. Each
		// expression reads a custom field only for the custom provider, for which that field is shown.
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: `={{ $self["provider"] === "microsoft365" ? ${MICROSOFT_LOGIN} + "/authorize" : $self["provider"] === "google" ? "https://accounts.google.com/o/oauth2/v2/auth" : $self["customAuthUrl"] }}`,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: `={{ $self["provider"] === "microsoft365" ? ${MICROSOFT_LOGIN} + "/token" : $self["provider"] === "google" ? "https://oauth2.googleapis.com/token" : $self["customAccessTokenUrl"] }}`,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default:
				'={{ $self["provider"] === "microsoft365" ? ($self["grantType"] === "clientCredentials" ? "https://outlook.office365.com/.default" : "https://outlook.office.com/SMTP.Send offline_access") : $self["provider"] === "google" ? "https://mail.google.com/" : $self["customScope"] }}',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			// Google issues a refresh token only with offline access, and again only on consent.
			default:
				'={{ $self["provider"] === "microsoft365" ? "prompt=select_account" : $self["provider"] === "google" ? "access_type=offline&prompt=consent" : $self["customAuthQueryParameters"] }}',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: '={{ $self["provider"] === "custom" ? $self["customAuthentication"] : "body" }}',
		},
		{
			displayName: 'Mailbox',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'payroll@example.com',
			description: 'The mailbox the mails are sent from; with app-only access, one the app was given rights to',
		},
		{
			displayName: 'SMTP Host',
			name: 'host',
			type: 'string',
			default: '',
			placeholder: 'smtp.office365.com',
			description: "Leave empty for the provider's own server: smtp.office365.com (Microsoft 365), smtp.gmail.com (Google)",
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 587,
			typeOptions: { minValue: 0, maxValue: 65535 },
			hint: '587 with STARTTLS, 465 with SSL/TLS',
		},
		{
			displayName: 'Connection Security',
			name: 'connection',
			type: 'options',
			default: 'startTls',
			options: [
				{ name: 'STARTTLS (Required)', value: 'startTls', description: 'Upgrade to encryption before logging in (port 587)' },
				{ name: 'SSL/TLS', value: 'sslTls', description: 'Encrypted from the first byte (port 465)' },
			],
		},
		...tlsAndGreetingFields(custom, custom),
	];
}
