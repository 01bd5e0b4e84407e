import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

export type ConnectionMode = 'auto' | 'plaintext' | 'sslTls' | 'startTls';
export type AuthMethod = 'auto' | 'none' | 'plain' | 'login' | 'cramMd5' | 'ntlm' | 'xoauth2';

/** The "Payroll Mail SMTP" credential, checked and with its defaults applied. */
export interface SmtpSettings {
	host: string;
	/** Never 0: the automatic port is already resolved. */
	port: number;
	connection: ConnectionMode;
	authMethod: AuthMethod;
	user: string;
	password: string;
	ntlmDomain: string;
	ntlmWorkstation: string;
	accessToken: string;
	clientId: string;
	clientSecret: string;
	refreshToken: string;
	accessUrl: string;
	allowUnauthorizedCerts: boolean;
	caCertificate: string;
	tlsServerName: string;
	clientHostName: string;
}

/** A credential field a clerk has to correct; `field` is the credential's internal name. */
export class SmtpSettingsError extends Error {
	constructor(
		readonly field: keyof SmtpSettings,
		message: string,
	) {
		super(message);
		this.name = 'SmtpSettingsError';
	}
}

const CONNECTION_MODES: readonly ConnectionMode[] = ['auto', 'plaintext', 'sslTls', 'startTls'];
const AUTH_METHODS: readonly AuthMethod[] = [
	'auto',
	'none',
	'plain',
	'login',
	'cramMd5',
	'ntlm',
	'xoauth2',
];
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export function automaticPort(connection: ConnectionMode): number {
	if (connection === 'sslTls') return 465;
	if (connection === 'startTls') return 587;
	return 25;
}

/** Reads the decrypted credential; throws SmtpSettingsError naming the first field to fix. */
export function readSmtpSettings(data: ICredentialDataDecryptedObject): SmtpSettings {
	const text = (name: keyof SmtpSettings) => {
		const value = data[name];
		return value === undefined || value === null ? '' : String(value).trim();
	};
	const choice = <T extends string>(name: keyof SmtpSettings, allowed: readonly T[]): T => {
		const value = text(name) || 'auto';
		if (!allowed.includes(value as T)) {
			throw new SmtpSettingsError(name, `${name} "${value}" is not one of ${allowed.join(', ')}`);
		}
		return value as T;
	};

	const host = text('host');
	if (!host) throw new SmtpSettingsError('host', 'Host is empty: enter the SMTP server name');

	const connection = choice('connection', CONNECTION_MODES);
	const port = data.port === undefined || data.port === '' ? 0 : Number(data.port);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new SmtpSettingsError('port', `Port ${String(data.port)} is not a port number (0 to 65535)`);
	}

	const settings: SmtpSettings = {
		host,
		port: port || automaticPort(connection),
		connection,
		authMethod: choice('authMethod', AUTH_METHODS),
		user: text('user'),
		// A password may legitimately start or end with a space.
		password: data.password === undefined || data.password === null ? '' : String(data.password),
		ntlmDomain: text('ntlmDomain'),
		ntlmWorkstation: text('ntlmWorkstation'),
		accessToken: text('accessToken'),
		clientId: text('clientId'),
		clientSecret: text('clientSecret'),
		refreshToken: text('refreshToken'),
		accessUrl: text('accessUrl'),
		allowUnauthorizedCerts: data.allowUnauthorizedCerts === true,
		caCertificate: text('caCertificate'),
		tlsServerName: text('tlsServerName'),
		clientHostName: text('clientHostName'),
	};
	checkAuthFields(settings);
	if (settings.caCertificate && !PEM_CERTIFICATE.test(settings.caCertificate)) {
		throw new SmtpSettingsError(
			'caCertificate',
			'Company CA Certificate is not a PEM certificate: paste the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----',
		);
	}
	return settings;
}

function checkAuthFields(settings: SmtpSettings): void {
	const { authMethod } = settings;
	// Automatic with no user is how a clerk says "this relay needs no login".
	if (authMethod === 'none' || (authMethod === 'auto' && !settings.user)) return;
	if (!settings.user) {
		throw new SmtpSettingsError('user', `User is empty: ${authMethod} authentication needs the account name`);
	}
	if (authMethod === 'xoauth2') {
		const canRefresh = settings.clientId && settings.clientSecret && settings.refreshToken;
		if (!settings.accessToken && !canRefresh) {
			throw new SmtpSettingsError(
				'accessToken',
				'XOAUTH2 needs an Access Token, or a Client ID, Client Secret and Refresh Token to obtain one',
			);
		}
		return;
	}
	if (!settings.password) {
		throw new SmtpSettingsError('password', `Password is empty: ${authMethod} authentication needs it`);
	}
}

/**
 * The SMTP side of the "Payroll Mail SMTP OAuth2" credential (same field names as above). The
 * login is always XOAUTH2, with tokens n8n obtains; read here without them.
 */
/** The SMTP server of each provider, for a credential whose SMTP Host is left empty. */
const PROVIDER_HOSTS: Record<string, string> = { microsoft365: 'smtp.office365.com', google: 'smtp.gmail.com' };

export function readOAuth2SmtpSettings(data: ICredentialDataDecryptedObject): SmtpSettings {
	const { port, connection, user, allowUnauthorizedCerts, caCertificate, tlsServerName, clientHostName } = data;
	const host = String(data.host ?? '').trim() || PROVIDER_HOSTS[String(data.provider)] || '';
	// Read as a login-less account first: the token fields of the password credential do not apply.
	const settings = readSmtpSettings({ host, port, connection, user, allowUnauthorizedCerts, caCertificate, tlsServerName, clientHostName, authMethod: 'none' });
	if (!settings.user) throw new SmtpSettingsError('user', 'Mailbox is empty: enter the mailbox the mails are sent from');
	return { ...settings, authMethod: 'xoauth2' };
}
