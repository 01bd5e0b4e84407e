import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import {
	readOAuth2SmtpSettings,
	readSmtpSettings,
	SmtpSettingsError,
	type SmtpSettings,
} from '../../../nodes/PayrollMail/transport/smtp/smtpSettings';

/** A CA certificate as an administrator would paste it (self-signed, EC P-256). */
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUA8Nr7DEh3CiooPWqtusOfhTJAOkwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPUGF5cm9sbCBUZXN0IENBMCAXDTI2MTEyMzIwNDU1MVoYDzIx
MjYxMDMwMjA0NTUxWjAaMRgwFgYDVQQDDA9QYXlyb2xsIFRlc3QgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAATU3TgCcFAGnh3+0sw1rtelJy4JDVNHijJOPCgz
TrKrhYjhOiHkR2H6RDBaPYHdiy+5rIjkxo9a/DSIPkUUVlLko1MwUTAdBgNVHQ4E
FgQUqZQl4aXn7Sg9r3e+9EEyq1xsdC8wHwYDVR0jBBgwFoAUqZQl4aXn7Sg9r3e+
9EEyq1xsdC8wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA2+IO
ypAhKlW5U+/Lucum+8pr8rCHT1XDXcroc6SO+SwCIG8AvBFYb0L/TrZncQEvRlJv
qA1ausvi7tf3j83lyTDH
-----END CERTIFICATE-----
`;

const relay = (fields: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject => ({
	host: 'smtp.example.com',
	...fields,
});

function errorOf(data: ICredentialDataDecryptedObject): SmtpSettingsError {
	try {
		readSmtpSettings(data);
	} catch (error) {
		if (error instanceof SmtpSettingsError) return error;
		throw error;
	}
	throw new Error(`expected a SmtpSettingsError, but ${JSON.stringify(data)} was accepted`);
}

describe('readSmtpSettings defaults', () => {
	it('fills in every field a credential leaves out', () => {
		const expected: SmtpSettings = {
			host: 'smtp.example.com',
			port: 25,
			connection: 'auto',
			authMethod: 'auto',
			user: '',
			password: '',
			ntlmDomain: '',
			ntlmWorkstation: '',
			accessToken: '',
			clientId: '',
			clientSecret: '',
			refreshToken: '',
			accessUrl: '',
			allowUnauthorizedCerts: false,
			caCertificate: '',
			tlsServerName: '',
			clientHostName: '',
		};
		expect(readSmtpSettings(relay())).toEqual(expected);
	});

	it('reads empty choices as automatic', () => {
		expect(readSmtpSettings(relay({ connection: '', authMethod: '' }))).toMatchObject({
			connection: 'auto',
			authMethod: 'auto',
		});
	});

	it('verifies certificates unless told otherwise in so many words', () => {
		expect(readSmtpSettings(relay({ allowUnauthorizedCerts: true })).allowUnauthorizedCerts).toBe(true);
		expect(readSmtpSettings(relay({ allowUnauthorizedCerts: false })).allowUnauthorizedCerts).toBe(false);
		expect(readSmtpSettings(relay({ allowUnauthorizedCerts: 'false' })).allowUnauthorizedCerts).toBe(false);
	});

	it('treats a missing (null) password as empty, not as the text "null"', () => {
		const error = errorOf(relay({ authMethod: 'plain', user: 'anna', password: null as unknown as string }));
		expect(error.field).toBe('password');
	});
});

describe('readSmtpSettings port', () => {
	it.each([
		['auto', 25],
		['plaintext', 25],
		['sslTls', 465],
		['startTls', 587],
	])('resolves port 0 for connection %s to %i', (connection, port) => {
		expect(readSmtpSettings(relay({ connection, port: 0 })).port).toBe(port);
		expect(readSmtpSettings(relay({ connection })).port).toBe(port);
	});

	it.each([1, 25, 2525, 65535])('keeps port %i as given, whatever the connection', (port) => {
		expect(readSmtpSettings(relay({ connection: 'sslTls', port })).port).toBe(port);
	});

	it.each([-1, 65536, 1.5, Number.NaN, 'abc'])('rejects port %p, naming the field and the range', (port) => {
		const error = errorOf(relay({ port }));
		expect(error.field).toBe('port');
		expect(error.message).toContain(`Port ${String(port)}`);
		expect(error.message).toContain('0 to 65535');
	});
});

describe('readSmtpSettings errors name the field to fix', () => {
	it.each([
		['missing', {}],
		['empty', { host: '' }],
		['blank', { host: '   ' }],
	])('host %s', (_how, fields) => {
		const error = errorOf({ ...fields });
		expect(error).toBeInstanceOf(SmtpSettingsError);
		expect(error.name).toBe('SmtpSettingsError');
		expect(error.field).toBe('host');
		expect(error.message).toMatch(/Host is empty/);
	});

	it.each([
		['connection', 'tls'],
		['connection', 'SSLTLS'],
		['authMethod', 'oauth'],
		['authMethod', 'CRAM-MD5'],
	])('%s %j is not a known choice', (field, value) => {
		const error = errorOf(relay({ [field]: value }));
		expect(error.field).toBe(field);
		expect(error.message).toContain(`"${value}"`);
		expect(error.message).toContain(field === 'connection' ? 'auto, plaintext, sslTls, startTls' : 'cramMd5');
	});

	it.each(['not a certificate', '-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----'])(
		'a CA certificate that is not PEM: %j',
		(caCertificate) => {
			const error = errorOf(relay({ caCertificate }));
			expect(error.field).toBe('caCertificate');
			expect(error.message).toMatch(/not a PEM certificate/);
			expect(error.message).toContain('-----BEGIN CERTIFICATE-----');
		},
	);

	it('accepts a PEM CA certificate, trimmed', () => {
		expect(readSmtpSettings(relay({ caCertificate: `\n${CA_PEM}\n` })).caCertificate).toBe(CA_PEM.trim());
	});

	it.each(['plain', 'login', 'cramMd5', 'ntlm', 'xoauth2'])('%s without a user', (authMethod) => {
		const error = errorOf(relay({ authMethod, password: 'secret', accessToken: 'token' }));
		expect(error.field).toBe('user');
		expect(error.message).toMatch(/User is empty/);
		expect(error.message).toContain(authMethod);
	});

	it.each(['plain', 'login', 'cramMd5', 'ntlm'])('%s without a password', (authMethod) => {
		const error = errorOf(relay({ authMethod, user: 'anna' }));
		expect(error.field).toBe('password');
		expect(error.message).toMatch(/Password is empty/);
		expect(error.message).toContain(authMethod);
	});

	it.each([
		['nothing', {}],
		['a client ID and secret but no refresh token', { clientId: 'id', clientSecret: 'secret' }],
		['a client ID and refresh token but no secret', { clientId: 'id', refreshToken: 'refresh' }],
		['a client secret and refresh token but no ID', { clientSecret: 'secret', refreshToken: 'refresh' }],
		['a password only', { password: 'secret' }],
	])('xoauth2 with %s', (_what, fields) => {
		const error = errorOf(relay({ authMethod: 'xoauth2', user: 'anna@example.com', ...fields }));
		expect(error.field).toBe('accessToken');
		expect(error.message).toMatch(/XOAUTH2 needs an Access Token, or a Client ID, Client Secret and Refresh Token/);
	});
});

describe('readSmtpSettings accepts complete authentication', () => {
	it.each([
		['none, with nothing else', { authMethod: 'none' }],
		['auto without a user (a relay that needs no login)', { authMethod: 'auto' }],
		['auto with user and password', { authMethod: 'auto', user: 'anna', password: 'secret' }],
		['plain', { authMethod: 'plain', user: 'anna', password: 'secret' }],
		['login', { authMethod: 'login', user: 'anna', password: 'secret' }],
		['cramMd5', { authMethod: 'cramMd5', user: 'anna', password: 'secret' }],
		['ntlm', { authMethod: 'ntlm', user: 'anna', password: 'secret', ntlmDomain: 'PAYROLL' }],
		['xoauth2 with an access token', { authMethod: 'xoauth2', user: 'anna', accessToken: 'token' }],
		[
			'xoauth2 with client ID, secret and refresh token',
			{ authMethod: 'xoauth2', user: 'anna', clientId: 'id', clientSecret: 'secret', refreshToken: 'refresh' },
		],
	])('%s', (_what, fields) => {
		expect(readSmtpSettings(relay(fields)).authMethod).toBe(fields.authMethod);
	});
});

describe('readSmtpSettings whitespace', () => {
	it('keeps the password exactly as typed, spaces at either end included', () => {
		expect(readSmtpSettings(relay({ authMethod: 'plain', user: 'anna', password: '  se cret ' })).password).toBe(
			'  se cret ',
		);
	});

	it('trims every other text field', () => {
		const settings = readSmtpSettings({
			host: '  smtp.example.com ',
			connection: ' startTls ',
			authMethod: ' xoauth2 ',
			user: ' anna@example.com ',
			ntlmDomain: ' PAYROLL ',
			ntlmWorkstation: ' PC-17 ',
			accessToken: ' token ',
			clientId: ' id ',
			clientSecret: ' client-secret ',
			refreshToken: ' refresh ',
			accessUrl: ' https://login.example.com/token ',
			tlsServerName: ' mail.example.com ',
			clientHostName: ' payroll.example.com ',
		});
		expect(settings).toMatchObject({
			host: 'smtp.example.com',
			connection: 'startTls',
			authMethod: 'xoauth2',
			user: 'anna@example.com',
			ntlmDomain: 'PAYROLL',
			ntlmWorkstation: 'PC-17',
			accessToken: 'token',
			clientId: 'id',
			clientSecret: 'client-secret',
			refreshToken: 'refresh',
			accessUrl: 'https://login.example.com/token',
			tlsServerName: 'mail.example.com',
			clientHostName: 'payroll.example.com',
		});
	});

	it('reads a user of spaces only as no user', () => {
		const error = errorOf(relay({ authMethod: 'login', user: '   ', password: 'secret' }));
		expect(error.field).toBe('user');
	});
});

describe('the OAuth2 credential\'s SMTP side', () => {
	it.each([
		['microsoft365', 'smtp.office365.com'],
		['google', 'smtp.gmail.com'],
	])('an empty SMTP Host means the provider\'s server (%s: %s), logging in as the mailbox with XOAUTH2', (provider, host) => {
		expect(readOAuth2SmtpSettings({ provider, host: '', port: 587, connection: 'startTls', user: 'payroll@contoso.example' })).toMatchObject({
			host,
			port: 587,
			connection: 'startTls',
			authMethod: 'xoauth2',
			user: 'payroll@contoso.example',
		});
	});

	it('a host given is kept; a custom provider needs one, and every provider a mailbox', () => {
		expect(readOAuth2SmtpSettings({ provider: 'microsoft365', host: 'smtp-relay.contoso.example', user: 'a@contoso.example' }).host).toBe('smtp-relay.contoso.example');
		expect(() => readOAuth2SmtpSettings({ provider: 'custom', host: '', user: 'a@contoso.example' })).toThrow(SmtpSettingsError);
		expect(() => readOAuth2SmtpSettings({ provider: 'google', user: '' })).toThrow(/Mailbox is empty/);
	});
});
